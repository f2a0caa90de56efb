using System.Collections.Concurrent;
using System.Globalization;
using Entrepot.Core.Budgets;
using StackExchange.Redis;

namespace Entrepot.Storage.Redis;

/// <summary>
/// Budget holds shared by every exchange node, in Redis. A hold is one Lua script: it reads each
/// covering budget's limit and this period's spent and held amounts, and either adds the amount to
/// every one of them or to none, atomically, so two nodes cannot both take the last of a budget.
/// While a budget has plenty left, that script grants this node a lease of many holds instead
/// (<see cref="BudgetLeases"/>), and the next requests hold out of it without a round trip.
/// Amounts are kept as integers in billionths of the currency unit (holds rounded up), exact for
/// budgets up to nine million units. Definitions live in one hash (authoritative for every node);
/// each node keeps a copy to know which requests need a hold at all, refreshed on change notices.
/// When Redis is unreachable, holds (leases included) throw <see cref="BudgetStoreUnavailableException"/> (the request is
/// refused) and settlements wait in a queue that is retried, so spending is never lost or doubled.
/// </summary>
public sealed class RedisBudgetBook : IBudgetBook, IDisposable
{
    private const decimal Unit = 1_000_000_000m;

    // Numbers go back to Redis through string.format('%d'): Redis's Lua writes a number joined to a
    // string or passed to a command as %.14g, so 10^14 billionths (100,000 units) would become "1e+14".

    // ARGV: amount, definitions, the scopes (one per key), this node's holds record, the hold's id,
    // the lease wanted (0: none) and the number of nodes. A lease is taken only while every key's
    // budget is defined and it is a small part of what each has left (a quarter of a node's share)
    // covering at least eight such requests; else the request holds exactly its amount, as near a budget's end.
    private const string HoldScript = """
        local function n(x) return string.format('%d', x) end
        if redis.call('EXISTS', ARGV[2]) == 0 then
          return {-1}
        end
        local amount = tonumber(ARGV[1])
        local count = #KEYS
        local lease = tonumber(ARGV[5 + count])
        local nodes = tonumber(ARGV[6 + count])
        local defined = {}
        local all = true
        for i = 1, count do
          local def = redis.call('HGET', ARGV[2], ARGV[2 + i])
          if def then
            defined[i] = true
            local limit = tonumber(string.match(def, '^(%-?%d+)'))
            local spent = tonumber(redis.call('HGET', KEYS[i], 'spent') or '0')
            local held = tonumber(redis.call('HGET', KEYS[i], 'held') or '0')
            if amount > limit - spent - held then
              return {i, limit, spent, held, tonumber(redis.call('HGET', KEYS[i], 'leased') or '0')}
            end
            lease = math.min(lease, math.floor((limit - spent - held) / (4 * nodes)))
          else
            all = false
          end
        end
        if all and lease >= 8 * amount and lease > 0 then
          for i = 1, count do
            redis.call('HINCRBY', KEYS[i], 'held', n(lease))
            redis.call('HINCRBY', KEYS[i], 'leased', n(lease))
            if ARGV[3 + count] ~= '' then
              local field = 'lease:' .. KEYS[i]
              local record = redis.call('HGET', ARGV[3 + count], field)
              local units = lease + (record and tonumber(string.match(record, '^(%-?%d+)')) or 0)
              redis.call('HSET', ARGV[3 + count], field, n(units) .. '|' .. KEYS[i])
            end
          end
          return {0, lease}
        end
        local held = {}
        for i = 1, count do
          if defined[i] then
            redis.call('HINCRBY', KEYS[i], 'held', ARGV[1])
            table.insert(held, KEYS[i])
          end
        end
        if ARGV[3 + count] ~= '' then
          redis.call('HSET', ARGV[3 + count], ARGV[4 + count], ARGV[1] .. '|' .. table.concat(held, ' '))
        end
        return {0, 0}
        """;

    // Every lease flushed in one round: for key i, its spending moved from held to spent (ARGV[3i]),
    // spending beyond it (ARGV[3i+1]) and its free part given back (ARGV[3i+2]); this node's record of
    // the lease (ARGV[1], field 'lease:' .. key) shrinks by as much. A key without its record (Redis
    // restarted without its data) is skipped, as a hold's settlement is. The round's id (ARGV[2]) is
    // kept ten minutes, so a round retried after its answer was lost is not applied twice.
    private const string LeaseFlushScript = """
        local function n(x) return string.format('%d', x) end
        if not redis.call('SET', ARGV[2], '1', 'NX', 'EX', '600') then
          return 0
        end
        for i = 1, #KEYS do
          local moved, extra, returned = tonumber(ARGV[3 * i]), tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
          local out = moved + returned
          local field = 'lease:' .. KEYS[i]
          local record = ARGV[1] ~= '' and redis.call('HGET', ARGV[1], field) or nil
          if ARGV[1] == '' or record then
            redis.call('HINCRBY', KEYS[i], 'held', n(-out))
            redis.call('HINCRBY', KEYS[i], 'leased', n(-out))
            redis.call('HINCRBY', KEYS[i], 'spent', n(moved + extra))
            if record then
              local units = tonumber(string.match(record, '^(%-?%d+)')) - out
              if units > 0 then
                redis.call('HSET', ARGV[1], field, n(units) .. '|' .. KEYS[i])
              else
                redis.call('HDEL', ARGV[1], field)
              end
            end
          end
        end
        return 1
        """;

    // A hold this node's record does not know (Redis restarted without its data, so the counters are
    // gone too and come back from the ledger; or it was settled already) is not settled: taking it off
    // another hold could overspend. The keys are the record's, those the hold was really taken on.
    private const string SettleScript = """
        local function n(x) return string.format('%d', x) end
        local keys = KEYS
        if ARGV[3] ~= '' then
          local record = redis.call('HGET', ARGV[3], ARGV[4])
          if not record then
            return 0
          end
          keys = {}
          for key in string.gmatch(string.match(record, '^%-?%d+|(.*)$') or '', '%S+') do
            table.insert(keys, key)
          end
        end
        for i = 1, #keys do
          redis.call('HINCRBY', keys[i], 'held', n(-tonumber(ARGV[1])))
          redis.call('HINCRBY', keys[i], 'spent', ARGV[2])
        end
        if ARGV[3] ~= '' then
          redis.call('HDEL', ARGV[3], ARGV[4])
        end
        return 1
        """;

    // A definition is "limit|currency|period|version"; one of a lower version never replaces it
    // (definitions written before versions existed count as version 0).
    private const string DefineScript = """
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if current then
          local version = tonumber(string.match(current, '^[^|]*|[^|]*|[^|]*|(%d+)$') or '0')
          if tonumber(ARGV[3]) < version then return 0 end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        return 1
        """;

    private const string UndefineScript = """
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if not current then return 0 end
        local version = tonumber(string.match(current, '^[^|]*|[^|]*|[^|]*|(%d+)$') or '0')
        if version > tonumber(ARGV[2]) then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        return 1
        """;

    // A hold or lease left by this node's previous process (it died with its requests): charged in full as
    // spent. Its trade may have happened, and its real cost is not known here, so the budget counts
    // the most it could have cost; never less (the ledger still bills the buyer the real cost).
    private const string RecoverScript = """
        local value = redis.call('HGET', KEYS[1], ARGV[1])
        if not value then return 0 end
        local units, keys = string.match(value, '^(%-?%d+)|(.*)$')
        if not units then
          redis.call('HDEL', KEYS[1], ARGV[1])
          return 0
        end
        local back = string.format('%d', -tonumber(units))
        for key in string.gmatch(keys, '%S+') do
          redis.call('HINCRBY', key, 'held', back)
          redis.call('HINCRBY', key, 'spent', units)
          if string.sub(ARGV[1], 1, 6) == 'lease:' then
            redis.call('HINCRBY', key, 'leased', back)
          end
        end
        redis.call('HDEL', KEYS[1], ARGV[1])
        return 1
        """;

    /// <summary>How long a lease may sit unused before its free part goes back.</summary>
    private const long IdleMs = 1000;

    /// <summary>How long after a node was refused while leases stood in the way no node leases that budget.</summary>
    private const long ReclaimMs = 10_000;

    /// <summary>How many of a request's maximum cost a lease is asked for (the script may grant less, or none).</summary>
    private const long LeaseHolds = 64;

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly int _nodes;
    private readonly ConcurrentDictionary<string, Budget> _definitions = new(StringComparer.Ordinal);
    // Scripts sent and failed, retried in order; a lease flush counts as on its way until it is applied.
    private readonly ConcurrentQueue<(string Script, RedisKey[] Keys, RedisValue[] Args, bool LeaseFlush)> _unsettled = new();
    private readonly string _holdsKey;
    private readonly Timer _retry;
    private readonly Timer _flush;
    private readonly BudgetLeases _leases = new();
    private readonly ConcurrentDictionary<string, long> _lastReclaim = new(StringComparer.Ordinal);
    private readonly RedisChannel _reclaims;
    private int _flushing;
    private int _granting;
    private readonly Timer _reconcile;
    private volatile bool _disposed;

    /// <param name="nodeId">This exchange node's stable name: its holds and leases are recorded under it,
    /// and those its previous process left (killed with requests in flight) are charged at start.</param>
    /// <param name="nodes">How many nodes share the budgets: a lease is at most a small part of one node's share.</param>
    public RedisBudgetBook(IConnectionMultiplexer redis, TimeProvider time, string prefix = "entrepot:", string? nodeId = null, int nodes = 1)
    {
        _redis = redis;
        _time = time;
        _prefix = prefix;
        _nodes = Math.Max(1, nodes);
        _holdsKey = nodeId is null ? "" : prefix + "holds:" + nodeId;
        _reclaims = RedisChannel.Literal(prefix + "budget-reclaims");
        Reload();
        Recovered = RecoverHolds();
        _retry = new Timer(_ => RetrySettlements(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        _flush = new Timer(_ => FlushLeases(), null, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20));
        _reconcile = new Timer(_ => ReconcileLeases(), null, ReconcileEvery, ReconcileEvery);
        _redis.GetSubscriber().Subscribe(_reclaims, (_, key) => OnReclaim(key!));
        // Losing Redis ends the leases: their spending and the rest are sent back when it answers
        // again (and dropped if it came back without this node's records), and new ones are taken.
        _redis.ConnectionFailed += EndLeases;
        _redis.ConnectionRestored += EndLeases;
    }

    private int _connectionChanges;

    /// <summary>Lease sizes asked for by hold scripts whose answer was lost, per key.</summary>
    private readonly ConcurrentDictionary<string, long> _unknownGrants = new(StringComparer.Ordinal);

    private void EndLeases(object? sender, ConnectionFailedEventArgs e)
    {
        // A grant answered after this (sent before) is closed at once too: Redis may have lost it.
        Interlocked.Increment(ref _connectionChanges);
        _leases.CloseAll();
        FlushLeases();
    }

    private RedisKey Definitions => _prefix + "budgets";

    /// <summary>Holds of this node's previous process charged at start.</summary>
    public int Recovered { get; }

    private int RecoverHolds()
    {
        if (_holdsKey.Length == 0)
        {
            return 0;
        }

        var db = _redis.GetDatabase();
        var n = 0;
        foreach (var id in db.HashKeys(_holdsKey))
        {
            n += (int)db.ScriptEvaluate(RecoverScript, [_holdsKey], [id]);
        }

        return n;
    }

    /// <summary>Re-reads the definitions (after another node changed one).</summary>
    public void Reload()
    {
        var all = _redis.GetDatabase().HashGetAll(Definitions);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in all)
        {
            if (Parse(e.Name!, e.Value!) is { } b)
            {
                _definitions[b.Scope] = b;
                seen.Add(b.Scope);
            }
        }

        foreach (var gone in _definitions.Keys.Where(k => !seen.Contains(k)))
        {
            _definitions.TryRemove(gone, out _);
        }
    }

    public void Set(Budget budget, decimal spentThisPeriod = 0)
    {
        var db = _redis.GetDatabase();
        var value = $"{Units(budget.Limit)}|{budget.Currency}|{budget.Period}|{budget.Version.ToString(CultureInfo.InvariantCulture)}";
        if ((long)db.ScriptEvaluate(DefineScript, [Definitions], [budget.Scope, value, budget.Version]) == 0)
        {
            // A newer definition is there (set through another node meanwhile): it stands.
            Refresh(budget.Scope);
            return;
        }

        db.HashSet(StateKey(budget.Scope, budget.Period), "spent", Units(spentThisPeriod), When.NotExists);
        var changed = !_definitions.TryGetValue(budget.Scope, out var before) || before != budget;
        _definitions[budget.Scope] = budget;
        if (changed)
        {
            FlushLeases(giveBackAll: true); // leases were taken under the old limit
        }
    }

    public void Remove(string scope, long upToVersion = long.MaxValue)
    {
        _redis.GetDatabase().ScriptEvaluate(UndefineScript, [Definitions], [scope, upToVersion]);
        Refresh(scope);
        FlushLeases(giveBackAll: true);
    }

    public IReadOnlyList<Budget> All() => _definitions.Values.ToList();

    /// <summary>Re-reads one scope's definition.</summary>
    private void Refresh(string scope)
    {
        var value = _redis.GetDatabase().HashGet(Definitions, scope);
        if (!value.IsNull && Parse(scope, value!) is { } b)
        {
            _definitions[scope] = b;
        }
        else
        {
            _definitions.TryRemove(scope, out _);
        }
    }

    public IReadOnlyList<Budget> For(IEnumerable<string> scopes)
    {
        List<Budget>? found = null;
        foreach (var s in scopes)
        {
            if (_definitions.TryGetValue(s, out var b))
            {
                (found ??= []).Add(b);
            }
        }

        return found ?? (IReadOnlyList<Budget>)[];
    }

    public BudgetHold? TryHold(IReadOnlyList<string> scopes, decimal amount, out string? refusal)
    {
        var (hold, why) = TryHoldAsync(scopes, amount).AsTask().GetAwaiter().GetResult();
        refusal = why;
        return hold;
    }

    public async ValueTask<(BudgetHold? Hold, string? Refusal)> TryHoldAsync(IReadOnlyList<string> scopes, decimal amount)
    {
        var covering = For(scopes);
        if (covering.Count == 0)
        {
            return (new BudgetHold(this, [], amount, (Array.Empty<RedisKey>(), "")), null);
        }

        var keys = new string[covering.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = StateKey(covering[i].Scope, covering[i].Period);
        }

        var units = Units(amount);
        var now = Environment.TickCount64;
        // Out of a lease only while Redis is there: a Redis that comes back empty has lost the leases.
        if (!_disposed && units > 0 && _redis.IsConnected && _leases.TryTake(keys, units, now) is { } taken)
        {
            return (new BudgetHold(this, Scopes(covering), amount, new LeasedHold(taken, units)), null);
        }

        var lease = !_disposed && units > 0 && keys.All(k => _leases.MayLease(k, now)) ? units * LeaseHolds : 0;
        var holdId = Guid.CreateVersion7().ToString("N");
        var args = new RedisValue[covering.Count + 6];
        args[0] = units;
        args[1] = Definitions.ToString();
        for (var i = 0; i < covering.Count; i++)
        {
            args[2 + i] = covering[i].Scope;
        }

        args[^4] = _holdsKey;
        args[^3] = holdId;
        args[^2] = lease;
        args[^1] = _nodes;
        var redisKeys = Array.ConvertAll(keys, k => (RedisKey)k); // for the script, a lost answer and the settlement
        RedisResult result;
        Interlocked.Increment(ref _granting);
        var connection = Volatile.Read(ref _connectionChanges);
        try
        {
            result = await _redis.GetDatabase().ScriptEvaluateAsync(HoldScript, redisKeys, args).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (lease > 0)
            {
                // Redis may have granted the lease before the answer was lost: the only thing the
                // comparison with this node's record may give back (see ReconcileLeases).
                foreach (var key in keys)
                {
                    _unknownGrants.AddOrUpdate(key, lease, (_, had) => had + lease);
                }
            }

            // Or it held the amount exactly: the request is refused, so that hold is released once it
            // is sure to have been applied or dropped (ReleaseLostHolds; the record says which).
            if (_holdsKey.Length > 0)
            {
                _lostHolds.Enqueue((redisKeys, units, holdId, Environment.TickCount64));
            }

            Interlocked.Decrement(ref _granting);
            throw new BudgetStoreUnavailableException("The shared budget store (Redis) cannot be reached, so no budget can be held; paid requests are refused until it is back.", e);
        }

        try
        {
            return Held(covering, keys, redisKeys, units, amount, holdId, now, (RedisResult[])result!, closed: connection != Volatile.Read(ref _connectionChanges));
        }
        finally
        {
            Interlocked.Decrement(ref _granting); // after the lease is in this node's figures
        }
    }

    private (BudgetHold? Hold, string? Refusal) Held(IReadOnlyList<Budget> covering, string[] keys, RedisKey[] redisKeys, long units, decimal amount, string holdId, long now, RedisResult[] values,
        bool closed)
    {
        var index = (int)values[0];
        if (index < 0)
        {
            // The definitions are gone: a Redis restarted without its data. Its counters are gone too,
            // so holding now could overspend: refuse until the budgets are set again.
            throw new BudgetStoreUnavailableException("The shared budget store (Redis) has lost the budgets (restarted without persistence?); paid requests are refused until they are set again.");
        }

        if (index > 0)
        {
            var b = covering[index - 1];
            decimal limit = (long)values[1] / Unit, spent = (long)values[2] / Unit, held = (long)values[3] / Unit;
            if ((long)values[4] > 0)
            {
                // Leases (this node's or others') stand in the way: every node gives back what it has
                // not used of them and holds exactly for a while; the caller may wait and try again.
                Reclaim(keys[index - 1]);
            }

            var available = limit - spent - held;
            return (null, $"The {b.Period.ToString().ToLowerInvariant()} budget of {b.Scope} ({limit} {b.Currency}) has {Math.Max(0, available):0.######} left " +
                $"({spent:0.######} spent, {held:0.######} held by requests in flight and leased by exchange nodes); this request may cost up to {amount:0.######}.");
        }

        var granted = (long)values[1];
        if (granted > 0)
        {
            return (new BudgetHold(this, Scopes(covering), amount, new LeasedHold(_leases.Add(keys, granted, units, now, closed), units)), null);
        }

        return (new BudgetHold(this, Scopes(covering), amount, (redisKeys, holdId)), null);
    }

    private static string[] Scopes(IReadOnlyList<Budget> covering)
    {
        var scopes = new string[covering.Count];
        for (var i = 0; i < scopes.Length; i++)
        {
            scopes[i] = covering[i].Scope;
        }

        return scopes;
    }

    /// <summary>A request's hold of <paramref name="Units"/> taken out of this node's <paramref name="Leases"/> (one per covering budget).</summary>
    private sealed record LeasedHold(BudgetLeases.Lease[] Leases, long Units);

    public void Settle(BudgetHold hold, decimal actual)
    {
        if (hold.StoreState is LeasedHold leased)
        {
            _leases.Settle(leased.Leases, leased.Units, Units(actual), Environment.TickCount64);
            if (_disposed)
            {
                FlushLeases(giveBackAll: true); // after the timers stopped: straight to Redis
            }

            return;
        }

        var (keys, holdId) = ((RedisKey[], string))hold.StoreState!;
        if (keys.Length == 0)
        {
            return;
        }

        Interlocked.Increment(ref _settling);
        _ = SendAsync(SettleScript, keys, [Units(hold.Amount), Units(actual), _holdsKey, holdId]);
    }

    private int _settling;

    /// <summary>Settlements and lease spending sent and not yet answered, waiting for the next flush,
    /// or waiting for Redis to be back.</summary>
    public int Settling => Volatile.Read(ref _settling) + _unsettled.Count + _leases.Dirty;

    /// <summary>The free part of this node's lease on <paramref name="scope"/>'s budget this period (0: none).</summary>
    public decimal Leased(string scope) =>
        _definitions.TryGetValue(scope, out var b) ? _leases.FreeOn(StateKey(scope, b.Period)) / Unit : 0;

    /// <summary>Sends a script without blocking the caller; what fails waits for the retry timer.</summary>
    private async Task SendAsync(string script, RedisKey[] keys, RedisValue[] args, bool leaseFlush = false)
    {
        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(script, keys, args).ConfigureAwait(false);
            if (leaseFlush)
            {
                _leases.Acknowledge();
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            _unsettled.Enqueue((script, keys, args, leaseFlush)); // still on its way: acknowledged when the retry applies it
        }
        finally
        {
            Interlocked.Decrement(ref _settling);
        }
    }

    /// <summary>Moves the leases' spending to Redis and gives back what idle or reclaimed leases hold
    /// free; every 20 ms, so a budget's shared figures trail its trades by about that much.</summary>
    private void FlushLeases(bool giveBackAll = false, string? giveBack = null)
    {
        if (Interlocked.Exchange(ref _flushing, 1) == 1 && !giveBackAll && giveBack is null)
        {
            return; // the previous tick is still draining
        }

        // Counted as settling from before the drain, so Settling never reads 0 between the two.
        Interlocked.Increment(ref _settling);
        var sent = false;
        try
        {
            var flushes = _leases.Drain(Environment.TickCount64, IdleMs, giveBackAll ? _ => true : giveBack is null ? null : k => k == giveBack);
            if (flushes.Count == 0)
            {
                return;
            }

            var (keys, args) = FlushRound(flushes);
            if (_disposed)
            {
                TrySend(LeaseFlushScript, keys, args, leaseFlush: true, queue: true); // the connection may be about to close: send now
            }
            else
            {
                sent = true;
                _ = SendAsync(LeaseFlushScript, keys, args, leaseFlush: true); // it decrements the count when answered
            }
        }
        finally
        {
            if (!sent)
            {
                Interlocked.Decrement(ref _settling);
            }

            Volatile.Write(ref _flushing, 0);
        }
    }

    /// <summary>How often this node's lease records in Redis are compared with its own figures.</summary>
    private static readonly TimeSpan ReconcileEvery = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gives back what this node's lease records in Redis hold beyond its own figures: a lease granted
    /// by a script whose answer never came (a timeout) is held in Redis but unknown here, and would
    /// otherwise stay held until the node restarts. Compared only after such a lost answer, only while
    /// no grant or flush is on its way and nothing changed between the two looks (so a lease in use is
    /// never given back), and never more than the lost answers asked for.
    /// </summary>
    private void ReconcileLeases()
    {
        if (_disposed || _holdsKey.Length == 0 || Interlocked.Exchange(ref _reconciling, 1) == 1)
        {
            return; // the previous comparison or what it gave back is still on its way
        }

        try
        {
            Reconcile();
        }
        finally
        {
            Volatile.Write(ref _reconciling, 0);
        }
    }

    private int _reconciling;

    /// <summary>Exact holds whose script's answer was lost: (keys, units, hold id, when).</summary>
    private readonly ConcurrentQueue<(RedisKey[] Keys, long Units, string HoldId, long Since)> _lostHolds = new();

    /// <summary>
    /// Releases the exact holds whose answer was lost, ten seconds on (a script sent is applied within
    /// that or never): their requests were refused, so nothing was spent. The settlement finds the
    /// hold by its record, so one Redis never applied changes nothing, and none is released twice.
    /// </summary>
    private void ReleaseLostHolds()
    {
        var now = Environment.TickCount64;
        while (_lostHolds.TryPeek(out var lost) && now - lost.Since >= 10_000)
        {
            if (!TrySend(SettleScript, lost.Keys, [lost.Units, 0, _holdsKey, lost.HoldId]))
            {
                return; // Redis still away: the next pass tries again
            }

            _lostHolds.TryDequeue(out _);
        }
    }

    private void Reconcile()
    {
        ReleaseLostHolds();
        if (_unknownGrants.IsEmpty || Volatile.Read(ref _granting) > 0 || _leases.Snapshot() is not { } before || !_unsettled.IsEmpty)
        {
            return; // nothing lost to look for, or something on its way
        }

        HashEntry[] records;
        try
        {
            records = _redis.GetDatabase().HashGetAll(_holdsKey);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            return;
        }

        if (Volatile.Read(ref _granting) > 0 || _leases.Snapshot() is not { } after || after.Epoch != before.Epoch || !_unsettled.IsEmpty)
        {
            return;
        }

        var recorded = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            var field = record.Name.ToString();
            var value = record.Value.ToString();
            var bar = value.IndexOf('|');
            if (field.StartsWith("lease:", StringComparison.Ordinal) && bar > 0
                && long.TryParse(value.AsSpan(0, bar), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var units))
            {
                recorded[field["lease:".Length..]] = units;
            }
        }

        var giveBack = new List<BudgetLeases.Flush>();
        foreach (var (key, unknown) in _unknownGrants)
        {
            // What Redis holds beyond this node's figures, up to what lost answers may have granted;
            // beyond that (a flush Redis lost in a crash, another process under the same node id) the
            // budget stays charged, never freed on a guess.
            var extra = Math.Min(unknown, recorded.GetValueOrDefault(key) - after.Granted.GetValueOrDefault(key));
            if (extra > 0)
            {
                giveBack.Add(new BudgetLeases.Flush(key, 0, 0, extra));
            }

            // Looked at once: a grant not applied by now is not in the record (one lost meanwhile stays for the next look).
            _unknownGrants.TryRemove(new KeyValuePair<string, long>(key, unknown));
        }

        if (giveBack.Count > 0)
        {
            // Sent and answered before the next comparison can start (it waits for this one).
            var (keys, args) = FlushRound(giveBack);
            TrySend(LeaseFlushScript, keys, args, queue: true);
        }
    }

    /// <summary>Asks every node (this one too) to give back the free part of its lease on <paramref name="key"/>.</summary>
    private void Reclaim(string key)
    {
        // Requests waiting for a nearly used budget retry every few milliseconds: one call a key every 50 ms is enough.
        var now = Environment.TickCount64;
        if (_lastReclaim.TryGetValue(key, out var last) && now - last < 50)
        {
            return;
        }

        _lastReclaim[key] = now;
        if (_lastReclaim.Count > 1024)
        {
            foreach (var old in _lastReclaim.Where(e => now - e.Value > 60_000).Select(e => e.Key).ToList())
            {
                _lastReclaim.TryRemove(old, out _);
            }
        }

        OnReclaim(key);
        try
        {
            _redis.GetSubscriber().Publish(_reclaims, key, CommandFlags.FireAndForget);
        }
        catch (RedisException)
        {
            // Redis just answered the hold; if it is gone now, the next hold says so.
        }
    }

    private void OnReclaim(string key)
    {
        _leases.Suppress(key, Environment.TickCount64 + ReclaimMs);
        FlushLeases(giveBack: key);
    }

    public (decimal Spent, decimal Held, decimal Limit)? Status(string scope)
    {
        if (!_definitions.TryGetValue(scope, out var b))
        {
            return null;
        }

        var state = _redis.GetDatabase().HashGet(StateKey(scope, b.Period), ["spent", "held"]);
        return ((long)(state[0].IsNull ? 0 : (long)state[0]) / Unit, (long)(state[1].IsNull ? 0 : (long)state[1]) / Unit, b.Limit);
    }

    public async ValueTask<(decimal Spent, decimal Held, decimal Limit)?> StatusAsync(string scope)
    {
        if (!_definitions.TryGetValue(scope, out var b))
        {
            return null;
        }

        var state = await _redis.GetDatabase().HashGetAsync(StateKey(scope, b.Period), ["spent", "held"]).ConfigureAwait(false);
        return ((long)(state[0].IsNull ? 0 : (long)state[0]) / Unit, (long)(state[1].IsNull ? 0 : (long)state[1]) / Unit, b.Limit);
    }

    /// <summary>Stops the timers and gives back every lease's free part (what requests still in
    /// flight hold goes back as each settles).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _redis.ConnectionFailed -= EndLeases;
        _redis.ConnectionRestored -= EndLeases;
        _flush.Dispose();
        _reconcile.Dispose();
        _retry.Dispose();
        try
        {
            _redis.GetSubscriber().Unsubscribe(_reclaims);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            // The connection is gone already: nothing to unsubscribe from.
        }

        FlushLeases(giveBackAll: true);
        RetrySettlements();
    }

    private bool TrySend(string script, RedisKey[] keys, RedisValue[] args, bool leaseFlush = false, bool queue = false)
    {
        try
        {
            _redis.GetDatabase().ScriptEvaluate(script, keys, args);
            if (leaseFlush)
            {
                _leases.Acknowledge();
            }

            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (queue)
            {
                _unsettled.Enqueue((script, keys, args, leaseFlush));
            }

            return false;
        }
    }

    private int _retrying;

    /// <summary>Sends what failed, in order, by one caller at a time (the timer, or Dispose).</summary>
    private void RetrySettlements()
    {
        if (Interlocked.Exchange(ref _retrying, 1) == 1)
        {
            return;
        }

        try
        {
            var n = _unsettled.Count;
            while (n-- > 0 && _unsettled.TryPeek(out var item))
            {
                if (!TrySend(item.Script, item.Keys, item.Args, item.LeaseFlush))
                {
                    return; // still down: keep the order, try again next second
                }

                _unsettled.TryDequeue(out _);
            }
        }
        finally
        {
            Volatile.Write(ref _retrying, 0);
        }
    }

    /// <summary>One round of lease flushes as the script's keys and arguments, with the round's id.</summary>
    private (RedisKey[] Keys, RedisValue[] Args) FlushRound(List<BudgetLeases.Flush> flushes)
    {
        var keys = new RedisKey[flushes.Count];
        var args = new RedisValue[2 + 3 * flushes.Count];
        args[0] = _holdsKey;
        args[1] = _prefix + "flush:" + Guid.CreateVersion7().ToString("N");
        for (var i = 0; i < flushes.Count; i++)
        {
            keys[i] = flushes[i].Key;
            (args[2 + 3 * i], args[3 + 3 * i], args[4 + 3 * i]) = (flushes[i].Moved, flushes[i].Extra, flushes[i].Returned);
        }

        return (keys, args);
    }

    private string StateKey(string scope, BudgetPeriod period) =>
        $"{_prefix}budget:{scope}:{period.Start(_time.GetUtcNow()).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)}";

    private static long Units(decimal amount) => (long)Math.Ceiling(amount * Unit);

    private static Budget? Parse(string scope, string value)
    {
        var parts = value.Split('|');
        long version = 0;
        return parts.Length is 3 or 4 && long.TryParse(parts[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var units)
            && Enum.TryParse<BudgetPeriod>(parts[2], out var period)
            && (parts.Length == 3 || long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out version))
            ? new Budget(scope, units / Unit, parts[1], period, version)
            : null;
    }
}
