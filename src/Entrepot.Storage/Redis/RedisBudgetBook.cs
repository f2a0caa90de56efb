using System.Collections.Concurrent;
using System.Globalization;
using Entrepot.Core.Budgets;
using StackExchange.Redis;

namespace Entrepot.Storage.Redis;

/// <summary>
/// Budget holds shared by every exchange node, in Redis. A hold is one Lua script: it reads each
/// covering budget's limit and this period's spent and held amounts, and either adds the amount to
/// every one of them or to none, atomically, so two nodes cannot both take the last of a budget.
/// Amounts are kept as integers in billionths of the currency unit (holds rounded up), exact for
/// budgets up to nine million units. Definitions live in one hash (authoritative for every node);
/// each node keeps a copy to know which requests need a hold at all, refreshed on change notices.
/// When Redis is unreachable, holds throw <see cref="BudgetStoreUnavailableException"/> (the request is
/// refused) and settlements wait in a queue that is retried, so spending is never lost or doubled.
/// </summary>
public sealed class RedisBudgetBook : IBudgetBook, IDisposable
{
    private const decimal Unit = 1_000_000_000m;

    private const string HoldScript = """
        if redis.call('EXISTS', ARGV[2]) == 0 then
          return {-1}
        end
        local amount = tonumber(ARGV[1])
        for i = 1, #KEYS do
          local def = redis.call('HGET', ARGV[2], ARGV[2 + i])
          if def then
            local limit = tonumber(string.match(def, '^(%-?%d+)'))
            local spent = tonumber(redis.call('HGET', KEYS[i], 'spent') or '0')
            local held = tonumber(redis.call('HGET', KEYS[i], 'held') or '0')
            if amount > limit - spent - held then
              return {i, limit, spent, held}
            end
          end
        end
        local held = {}
        for i = 1, #KEYS do
          if redis.call('HEXISTS', ARGV[2], ARGV[2 + i]) == 1 then
            redis.call('HINCRBY', KEYS[i], 'held', amount)
            table.insert(held, KEYS[i])
          end
        end
        if ARGV[3 + #KEYS] ~= '' then
          redis.call('HSET', ARGV[3 + #KEYS], ARGV[4 + #KEYS], ARGV[1] .. '|' .. table.concat(held, ' '))
        end
        return {0}
        """;

    private const string SettleScript = """
        for i = 1, #KEYS do
          redis.call('HINCRBY', KEYS[i], 'held', -tonumber(ARGV[1]))
          redis.call('HINCRBY', KEYS[i], 'spent', tonumber(ARGV[2]))
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

    // A hold left by this node's previous process (it died with its requests): charged in full as
    // spent. Its trade may have happened, and its real cost is not known here, so the budget counts
    // the most it could have cost; never less (the ledger still bills the buyer the real cost).
    private const string RecoverScript = """
        local value = redis.call('HGET', KEYS[1], ARGV[1])
        if not value then return 0 end
        local units, keys = string.match(value, '^(%-?%d+)|(.*)$')
        for key in string.gmatch(keys, '%S+') do
          redis.call('HINCRBY', key, 'held', -tonumber(units))
          redis.call('HINCRBY', key, 'spent', tonumber(units))
        end
        redis.call('HDEL', KEYS[1], ARGV[1])
        return 1
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<string, Budget> _definitions = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(string[] Keys, long Held, long Spent, string HoldId)> _unsettled = new();
    private readonly string _holdsKey;
    private readonly Timer _retry;

    /// <param name="nodeId">This exchange node's stable name: its holds are recorded under it, and
    /// those its previous process left (killed with requests in flight) are charged at start.</param>
    public RedisBudgetBook(IConnectionMultiplexer redis, TimeProvider time, string prefix = "entrepot:", string? nodeId = null)
    {
        _redis = redis;
        _time = time;
        _prefix = prefix;
        _holdsKey = nodeId is null ? "" : prefix + "holds:" + nodeId;
        Reload();
        Recovered = RecoverHolds();
        _retry = new Timer(_ => RetrySettlements(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
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
        _definitions[budget.Scope] = budget;
    }

    public void Remove(string scope, long upToVersion = long.MaxValue)
    {
        _redis.GetDatabase().ScriptEvaluate(UndefineScript, [Definitions], [scope, upToVersion]);
        Refresh(scope);
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
            return (new BudgetHold(this, [], amount, (Array.Empty<string>(), "")), null);
        }

        var keys = covering.Select(b => StateKey(b.Scope, b.Period).ToString()).ToArray();
        var units = Units(amount);
        var holdId = Guid.CreateVersion7().ToString("N");
        RedisResult result;
        try
        {
            result = await _redis.GetDatabase().ScriptEvaluateAsync(HoldScript, keys.Select(k => (RedisKey)k).ToArray(),
                [units, (RedisValue)Definitions.ToString(), .. covering.Select(b => (RedisValue)b.Scope), _holdsKey, holdId]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new BudgetStoreUnavailableException("The shared budget store (Redis) cannot be reached, so no budget can be held; paid requests are refused until it is back.", e);
        }

        var values = (RedisResult[])result!;
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
            var available = limit - spent - held;
            return (null, $"The {b.Period.ToString().ToLowerInvariant()} budget of {b.Scope} ({limit} {b.Currency}) has {Math.Max(0, available):0.######} left " +
                $"({spent:0.######} spent, {held:0.######} held by requests in flight on every exchange node); this request may cost up to {amount:0.######}.");
        }

        return (new BudgetHold(this, covering.Select(b => b.Scope).ToArray(), amount, (keys, holdId)), null);
    }

    public void Settle(BudgetHold hold, decimal actual)
    {
        var (keys, holdId) = ((string[], string))hold.StoreState!;
        if (keys.Length == 0)
        {
            return;
        }

        var item = (keys, Units(hold.Amount), Units(actual), holdId);
        Interlocked.Increment(ref _settling);
        _ = SettleAsync(item);
    }

    private int _settling;

    /// <summary>Settlements sent and not yet answered, or waiting for Redis to be back.</summary>
    public int Settling => Volatile.Read(ref _settling) + _unsettled.Count;

    /// <summary>Settles without blocking the request's thread; what fails waits for the retry timer.</summary>
    private async Task SettleAsync((string[] Keys, long Held, long Spent, string HoldId) item)
    {
        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(SettleScript, item.Keys.Select(k => (RedisKey)k).ToArray(),
                [item.Held, item.Spent, _holdsKey, item.HoldId]).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            _unsettled.Enqueue(item);
        }
        finally
        {
            Interlocked.Decrement(ref _settling);
        }
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

    public void Dispose() => _retry.Dispose();

    private bool TrySettle((string[] Keys, long Held, long Spent, string HoldId) item)
    {
        try
        {
            _redis.GetDatabase().ScriptEvaluate(SettleScript, item.Keys.Select(k => (RedisKey)k).ToArray(), [item.Held, item.Spent, _holdsKey, item.HoldId]);
            return true;
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return false;
        }
    }

    private void RetrySettlements()
    {
        var n = _unsettled.Count;
        while (n-- > 0 && _unsettled.TryPeek(out var item))
        {
            if (!TrySettle(item))
            {
                return; // still down: keep the order, try again next second
            }

            _unsettled.TryDequeue(out _);
        }
    }

    private RedisKey StateKey(string scope, BudgetPeriod period) =>
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
