using System.Collections.Concurrent;

namespace Entrepot.Core.Border.Policy;

/// <summary>
/// In-memory distinct-subject counter: per scope, the last time each subject was sent. A storage
/// layer makes it durable by replaying its rows through <see cref="Load"/> at start and persisting
/// what <see cref="Recorded"/> and <see cref="Pruned"/> report. Counting walks the scope's subjects;
/// a scope holds one buyer's subjects for one seller and category, so the walk is bounded by the
/// thresholds' own scale, and <see cref="Prune"/> keeps memory to what a period can still reach.
/// </summary>
public sealed class SubjectCounter : ISubjectCounter
{
    private readonly ConcurrentDictionary<SubjectScope, Dictionary<SubjectId, long>> _scopes = new();
    private long _subjects;

    /// <summary>Raised after subjects are recorded (for a durable writer).</summary>
    public event Action<SubjectScope, DateTimeOffset, IReadOnlyCollection<SubjectId>>? Recorded;

    /// <summary>Raised after a prune, with its horizon (for a durable writer).</summary>
    public event Action<DateTimeOffset>? Pruned;

    /// <summary>Subjects held, over all scopes.</summary>
    public long Count => Interlocked.Read(ref _subjects);

    public void Load(SubjectScope scope, SubjectId subject, DateTimeOffset lastSeen) =>
        Update(scope, map => Set(map, subject, lastSeen.UtcTicks));

    public long CountWith(SubjectScope scope, DateTimeOffset since, IReadOnlyCollection<SubjectId> incoming)
    {
        long sinceTicks = since.UtcTicks;
        _scopes.TryGetValue(scope, out var own);
        var legacy = scope.Holder != SubjectScope.Unattributed && _scopes.TryGetValue(scope.Legacy, out var l) ? l : null;
        long count = 0;
        if (own is not null)
        {
            lock (own)
            {
                foreach (var t in own.Values)
                {
                    if (t >= sinceTicks)
                    {
                        count++;
                    }
                }
            }
        }

        if (legacy is not null)
        {
            // Counts from before they were kept per buyer: each one the holder has not itself sent.
            lock (legacy)
            {
                foreach (var (s, t) in legacy)
                {
                    if (t >= sinceTicks && !Within(own, s, sinceTicks))
                    {
                        count++;
                    }
                }
            }
        }

        foreach (var s in incoming.Distinct())
        {
            if (!Within(own, s, sinceTicks) && !Within(legacy, s, sinceTicks))
            {
                count++;
            }
        }

        return count;
    }

    public void Record(SubjectScope scope, DateTimeOffset at, IReadOnlyCollection<SubjectId> subjects)
    {
        if (subjects.Count == 0)
        {
            return;
        }

        Update(scope, map =>
        {
            foreach (var s in subjects)
            {
                Set(map, s, at.UtcTicks);
            }
        });
        Recorded?.Invoke(scope, at, subjects);
    }

    public long Prune(DateTimeOffset before)
    {
        long beforeTicks = before.UtcTicks, removed = 0;
        foreach (var (scope, map) in _scopes)
        {
            lock (map)
            {
                var stale = new List<SubjectId>();
                foreach (var (s, t) in map)
                {
                    if (t < beforeTicks)
                    {
                        stale.Add(s);
                    }
                }

                foreach (var s in stale)
                {
                    map.Remove(s);
                }

                removed += stale.Count;
                if (map.Count == 0)
                {
                    // Removed only while still empty: a Record racing in re-adds the scope afresh.
                    _scopes.TryRemove(new KeyValuePair<SubjectScope, Dictionary<SubjectId, long>>(scope, map));
                }
                else if (stale.Count > 0)
                {
                    map.TrimExcess();
                }
            }
        }

        Interlocked.Add(ref _subjects, -removed);
        Pruned?.Invoke(before);
        return removed;
    }

    /// <summary>Changes a scope's map under its lock, retrying if a prune removed that map meanwhile.</summary>
    private void Update(SubjectScope scope, Action<Dictionary<SubjectId, long>> change)
    {
        while (true)
        {
            var map = _scopes.GetOrAdd(scope, _ => []);
            lock (map)
            {
                if (_scopes.TryGetValue(scope, out var current) && ReferenceEquals(current, map))
                {
                    change(map);
                    return;
                }
            }
        }
    }

    private void Set(Dictionary<SubjectId, long> map, SubjectId subject, long ticks)
    {
        if (!map.TryGetValue(subject, out var t))
        {
            map[subject] = ticks;
            Interlocked.Increment(ref _subjects);
        }
        else if (t < ticks)
        {
            map[subject] = ticks;
        }
    }

    private static bool Within(Dictionary<SubjectId, long>? map, SubjectId s, long sinceTicks)
    {
        if (map is null)
        {
            return false;
        }

        lock (map)
        {
            return map.TryGetValue(s, out var t) && t >= sinceTicks;
        }
    }
}
