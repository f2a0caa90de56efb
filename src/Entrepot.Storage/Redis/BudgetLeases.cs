namespace Entrepot.Storage.Redis;

/// <summary>
/// The parts of shared budgets this exchange node has leased from Redis, and what its requests hold
/// and spend out of them. In Redis a lease is held on the budget like one large request's hold (so
/// every node's leases and holds together still never exceed the limit) and recorded under the node,
/// so a node that dies with a lease has it charged in full at its restart, as any hold it left.
/// Locally a request holds on its lease without a round trip; what it spends is moved to the shared
/// counters every few milliseconds, and what is left of an idle lease goes back.
/// All amounts are billionths of the currency unit, as in Redis.
/// </summary>
public sealed class BudgetLeases
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Lease> _byKey = new(StringComparer.Ordinal);
    // Leases closed while requests still held out of them (Redis was lost): nothing more is taken out
    // of them, and they are drained once those requests have settled.
    private readonly List<Lease> _closed = [];
    private readonly Dictionary<string, long> _noLeaseUntil = new(StringComparer.Ordinal);
    private int _dirty;
    // Changes of what this node holds in Redis (a lease added or drained), and the flushes taken and
    // not yet answered: a comparison with the node's record in Redis is valid only across neither.
    private long _epoch;
    private int _pending;

    /// <summary>One lease on one budget period key. A request's hold keeps the leases it was taken
    /// out of, so it settles on them even after they were closed.</summary>
    public sealed class Lease(string key)
    {
        public string Key { get; } = key;

        /// <summary>What this node holds in Redis for the lease.</summary>
        internal long Granted;

        /// <summary>Held out of it by this node's requests in flight.</summary>
        internal long InFlight;

        /// <summary>Spent out of it and not yet moved to the shared spent counter.</summary>
        internal long Spent;

        internal long LastUse;

        internal long Free => Granted - InFlight - Spent;
    }

    /// <summary>What one flush sends to Redis for one budget period key: <paramref name="Moved"/> goes from
    /// held to spent, <paramref name="Extra"/> is spent beyond what the lease held (a trade that cost more
    /// than its hold), <paramref name="Returned"/> goes back to the budget.</summary>
    public readonly record struct Flush(string Key, long Moved, long Extra, long Returned);

    /// <summary>Leases with spending not yet moved to Redis.</summary>
    public int Dirty => Volatile.Read(ref _dirty);

    /// <summary>Holds <paramref name="units"/> (more than zero) on the open leases of every key, or on none.</summary>
    public Lease[]? TryTake(string[] keys, long units, long now)
    {
        lock (_gate)
        {
            foreach (var key in keys)
            {
                if (!_byKey.TryGetValue(key, out var lease) || lease.Free < units)
                {
                    return null;
                }
            }

            var taken = new Lease[keys.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                var lease = taken[i] = _byKey[keys[i]];
                lease.InFlight += units;
                lease.LastUse = now;
            }

            return taken;
        }
    }

    /// <summary>Adds a lease Redis granted on each key, with this request's <paramref name="units"/> held out of it.</summary>
    /// <param name="closed">Granted by a call sent before Redis was lost: closed at once, drained as the request settles.</param>
    public Lease[] Add(string[] keys, long granted, long units, long now, bool closed = false)
    {
        lock (_gate)
        {
            var taken = new Lease[keys.Length];
            for (var i = 0; i < keys.Length; i++)
            {
                Lease? lease;
                if (closed)
                {
                    _closed.Add(lease = new Lease(keys[i]));
                }
                else if (!_byKey.TryGetValue(keys[i], out lease))
                {
                    _byKey[keys[i]] = lease = new Lease(keys[i]);
                }

                lease.Granted += granted;
                lease.InFlight += units;
                lease.LastUse = now;
                taken[i] = lease;
            }

            _epoch++;
            return taken;
        }
    }

    /// <summary>A request held on leases has ended: it spent <paramref name="spent"/> of its <paramref name="held"/>.</summary>
    public void Settle(Lease[] leases, long held, long spent, long now)
    {
        lock (_gate)
        {
            foreach (var lease in leases)
            {
                lease.InFlight -= held;
                if (lease.Spent == 0 && spent > 0)
                {
                    _dirty++;
                }

                lease.Spent += spent;
                lease.LastUse = now;
            }
        }
    }

    /// <summary>Closes every lease: nothing more is held out of them, and the next drains give back
    /// all of each but what requests in flight hold, then that too as they settle.</summary>
    public void CloseAll()
    {
        lock (_gate)
        {
            _closed.AddRange(_byKey.Values);
            _byKey.Clear();
        }
    }

    /// <summary>Whether a new lease may be asked for on <paramref name="key"/> (not while another node asks for leases back).</summary>
    public bool MayLease(string key, long now)
    {
        lock (_gate)
        {
            return !_noLeaseUntil.TryGetValue(key, out var until) || until <= now;
        }
    }

    /// <summary>No new lease on <paramref name="key"/> until <paramref name="until"/>: a node was refused
    /// while leases stood in the way, so the budget is nearly used and every node holds exactly again.</summary>
    public void Suppress(string key, long until)
    {
        lock (_gate)
        {
            _noLeaseUntil[key] = until;
            if (_noLeaseUntil.Count > 1024)
            {
                foreach (var (k, u) in _noLeaseUntil.Where(e => e.Value < until - 60_000).ToList())
                {
                    _noLeaseUntil.Remove(k);
                }
            }
        }
    }

    /// <summary>Takes what is to be sent to Redis: every lease's spending, and the free part of the
    /// leases idle for <paramref name="idleMs"/>, suppressed, closed, or chosen by <paramref name="giveBack"/>.
    /// The local figures change at once, so nothing taken here can be held again meanwhile.</summary>
    public List<Flush> Drain(long now, long idleMs, Func<string, bool>? giveBack = null)
    {
        var flushes = new List<Flush>();
        lock (_gate)
        {
            List<string>? gone = null;
            foreach (var (key, lease) in _byKey)
            {
                if (Drain(lease, now, lease.InFlight == 0 && now - lease.LastUse >= idleMs
                    || _noLeaseUntil.TryGetValue(key, out var until) && until > now
                    || giveBack?.Invoke(key) == true, flushes))
                {
                    (gone ??= []).Add(key);
                }
            }

            foreach (var key in gone ?? [])
            {
                _byKey.Remove(key);
            }

            _closed.RemoveAll(lease => Drain(lease, now, giveBack: true, flushes));
            _dirty = 0;
            if (flushes.Count > 0)
            {
                _epoch++;
                _pending++; // one round, sent as one script
            }
        }

        return flushes;
    }

    /// <summary>A round of flushes taken by <see cref="Drain"/> was applied by Redis.</summary>
    public void Acknowledge()
    {
        lock (_gate)
        {
            _pending--;
        }
    }

    /// <summary>What this node holds in Redis per key by its own figures, with the change count, or
    /// null while flushes are on their way (the record in Redis and these figures then differ).</summary>
    public (long Epoch, Dictionary<string, long> Granted)? Snapshot()
    {
        lock (_gate)
        {
            if (_pending > 0)
            {
                return null;
            }

            var granted = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var lease in _byKey.Values.Concat(_closed))
            {
                granted[lease.Key] = granted.GetValueOrDefault(lease.Key) + lease.Granted;
            }

            return (_epoch, granted);
        }
    }

    /// <summary>One lease's flush; true when it is used up and can be forgotten.</summary>
    private static bool Drain(Lease lease, long now, bool giveBack, List<Flush> flushes)
    {
        var moved = Math.Min(lease.Spent, Math.Max(0, lease.Granted - lease.InFlight));
        var extra = lease.Spent - moved;
        lease.Granted -= moved;
        lease.Spent = 0;
        long returned = 0;
        if (giveBack)
        {
            returned = lease.Granted - lease.InFlight;
            lease.Granted -= returned;
        }

        if (moved + extra + returned != 0)
        {
            flushes.Add(new Flush(lease.Key, moved, extra, returned));
        }

        return lease.Granted == 0 && lease.InFlight == 0;
    }

    /// <summary>The free part of this node's open lease on <paramref name="key"/> (tests and status).</summary>
    public long FreeOn(string key)
    {
        lock (_gate)
        {
            return _byKey.TryGetValue(key, out var lease) ? lease.Free : 0;
        }
    }
}
