using System.Collections.Concurrent;

namespace Entrepot.Core.Trust;

/// <summary>
/// The ids of signed requests already served, each kept until its signature would be too old to be
/// accepted anyway (the freshness window), so a captured request cannot be played again. Bounded by
/// the window: what is older is pruned as new ids come in.
/// </summary>
public sealed class ReplayCache(TimeProvider time, TimeSpan? keep = null)
{
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly long _keepTicks = (keep ?? RequestSignature.Window * 2).Ticks;
    private long _nextPrune;

    public int Count => _seen.Count;

    public bool Contains(string id) => _seen.TryGetValue(id, out var until) && until > time.GetUtcNow().UtcTicks;

    /// <summary>Records a first use; false when the id was already used within the window.</summary>
    public bool TryAdd(string id)
    {
        var now = time.GetUtcNow().UtcTicks;
        Prune(now);
        while (true)
        {
            if (_seen.TryAdd(id, now + _keepTicks))
            {
                return true;
            }

            if (!_seen.TryGetValue(id, out var until) || until > now)
            {
                return false;
            }

            // Expired: it may be used again (its signature has long been stale anyway).
            _seen.TryRemove(new KeyValuePair<string, long>(id, until));
        }
    }

    private void Prune(long now)
    {
        var next = Interlocked.Read(ref _nextPrune);
        if (now < next || Interlocked.CompareExchange(ref _nextPrune, now + TimeSpan.TicksPerSecond * 10, next) != next)
        {
            return;
        }

        foreach (var (id, until) in _seen)
        {
            if (until <= now)
            {
                _seen.TryRemove(new KeyValuePair<string, long>(id, until));
            }
        }
    }
}
