using System.Collections.Concurrent;

namespace Entrepot.Core.Border.Policy;

/// <summary>
/// In-memory distinct-subject counter: per scope, the last time each subject was sent. A storage
/// layer makes it durable by replaying its rows through <see cref="Load"/> at start and persisting
/// what <see cref="Recorded"/> reports. Counting walks the scope's subjects; scopes hold the
/// subjects of one origin, seller and category, so the walk is bounded by the thresholds' own scale.
/// </summary>
public sealed class SubjectCounter : ISubjectCounter
{
    private readonly ConcurrentDictionary<SubjectScope, Dictionary<SubjectId, long>> _scopes = new();

    /// <summary>Raised after subjects are recorded (for a durable writer).</summary>
    public event Action<SubjectScope, DateTimeOffset, IReadOnlyCollection<SubjectId>>? Recorded;

    public void Load(SubjectScope scope, SubjectId subject, DateTimeOffset lastSeen)
    {
        var map = _scopes.GetOrAdd(scope, _ => []);
        lock (map)
        {
            if (!map.TryGetValue(subject, out var t) || t < lastSeen.UtcTicks)
            {
                map[subject] = lastSeen.UtcTicks;
            }
        }
    }

    public long CountWith(SubjectScope scope, DateTimeOffset since, IReadOnlyCollection<SubjectId> incoming)
    {
        long sinceTicks = since.UtcTicks;
        if (!_scopes.TryGetValue(scope, out var map))
        {
            return incoming.Distinct().LongCount();
        }

        lock (map)
        {
            long count = 0;
            foreach (var t in map.Values)
            {
                if (t >= sinceTicks)
                {
                    count++;
                }
            }

            foreach (var s in incoming.Distinct())
            {
                if (!map.TryGetValue(s, out var t) || t < sinceTicks)
                {
                    count++;
                }
            }

            return count;
        }
    }

    public void Record(SubjectScope scope, DateTimeOffset at, IReadOnlyCollection<SubjectId> subjects)
    {
        if (subjects.Count == 0)
        {
            return;
        }

        var map = _scopes.GetOrAdd(scope, _ => []);
        lock (map)
        {
            foreach (var s in subjects)
            {
                map[s] = at.UtcTicks;
            }
        }

        Recorded?.Invoke(scope, at, subjects);
    }
}
