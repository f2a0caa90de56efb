using System.Globalization;
using StackExchange.Redis;

namespace Entrepot.Storage.Redis;

/// <summary>
/// Requests and tokens per minute shared by every exchange node: a sliding-window counter in Redis
/// (this minute's count plus last minute's weighted by the part of it still inside the window),
/// checked and incremented by one script so concurrent nodes cannot both take the last permit.
/// Where a limit is large (at least 100 permits a minute for each node), a node takes a batch of
/// permits at once, at most a fiftieth of its share of the minute, and admits out of it without
/// a round trip: the batch is counted in Redis when taken, so the nodes together never admit more
/// than the limit; what is left of it when the minute turns stays counted (a node can only be
/// stricter than the limit, by at most its last batch), and what an idle node has left goes back.
/// </summary>
public sealed class RedisRateWindow : IDisposable
{
    private readonly IConnectionMultiplexer redis;
    private readonly TimeProvider time;
    private readonly string prefix;
    private readonly Timer _sweep;

    public RedisRateWindow(IConnectionMultiplexer redis, TimeProvider time, string prefix = "entrepot:", int nodes = 1)
    {
        this.redis = redis;
        this.time = time;
        this.prefix = prefix;
        _nodes = Math.Max(1, nodes);
        _sweep = new Timer(_ => SweepIdle(), null, IdleMs, IdleMs);
    }

    // ARGV: rpm, tpm, requests needed, requests wanted, tokens needed, tokens wanted, the weight of
    // the previous minute. Grants what is wanted if it fits, else what is needed, else refuses.
    private const string Script = """
        local weight = 1 - tonumber(ARGV[7])
        local function estimate(cur, prev)
          return tonumber(redis.call('GET', cur) or '0') + tonumber(redis.call('GET', prev) or '0') * weight
        end
        local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
        local rneed, rwant, tneed, twant = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
        local rgrant, tgrant = 0, 0
        if rpm > 0 and rneed > 0 then
          local used = estimate(KEYS[1], KEYS[2])
          if used + rneed > rpm then return {1} end
          rgrant = (used + rwant <= rpm) and rwant or rneed
        end
        if tpm > 0 and tneed > 0 then
          local used = estimate(KEYS[3], KEYS[4])
          if used + tneed > tpm then return {2} end
          tgrant = (used + twant <= tpm) and twant or tneed
        end
        if rgrant > 0 then redis.call('INCRBY', KEYS[1], rgrant); redis.call('EXPIRE', KEYS[1], 130) end
        if tgrant > 0 then redis.call('INCRBY', KEYS[3], tgrant); redis.call('EXPIRE', KEYS[3], 130) end
        return {0, rgrant, tgrant}
        """;

    // Unused permits of a batch go back to the minute that counted them, while it is still kept.
    private const string ReturnScript = """
        if ARGV[1] ~= '0' and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('DECRBY', KEYS[1], ARGV[1]) end
        if ARGV[2] ~= '0' and redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECRBY', KEYS[2], ARGV[2]) end
        return 1
        """;

    private const long IdleMs = 1000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Batch> _batches = new(StringComparer.Ordinal);
    private readonly int _nodes;

    /// <summary>Permits this node has taken from the shared counters and not used yet, for one scope and minute.</summary>
    private sealed class Batch
    {
        public long Minute;
        public long Requests;
        public long Tokens;
        public long LastUse;
    }

    /// <summary>0 when admitted, 1 when requests per minute, 2 when tokens per minute refuse.</summary>
    /// <exception cref="RedisException">Redis cannot be asked: the caller falls back to its own limits.</exception>
    public async Task<int> AdmitAsync(string scope, int requestsPerMinute, int tokensPerMinute, long tokens)
    {
        long needRequests = requestsPerMinute > 0 ? 1 : 0;
        var needTokens = tokensPerMinute > 0 ? Math.Min(tokens, tokensPerMinute) : 0;
        // A batch is at most a fiftieth of this node's share of a minute; below 2 permits, none is taken.
        var requestBatch = Math.Min(requestsPerMinute / (_nodes * 50L), 1000);
        var tokenBatch = Math.Min(tokensPerMinute / (_nodes * 50L), Math.Max(needTokens, 1) * 64);
        for (var attempt = 0; ; attempt++)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var minute = now / 60_000;
            long wantRequests, wantTokens, lackRequests, lackTokens;
            lock (_gate)
            {
                if (!_batches.TryGetValue(scope, out var batch))
                {
                    _batches[scope] = batch = new Batch { Minute = minute };
                }

                if (batch.Minute != minute)
                {
                    (batch.Minute, batch.Requests, batch.Tokens) = (minute, 0, 0); // stays counted in its minute
                }

                batch.LastUse = Environment.TickCount64;
                if (batch.Requests >= needRequests && batch.Tokens >= needTokens)
                {
                    batch.Requests -= needRequests;
                    batch.Tokens -= needTokens;
                    return 0;
                }

                lackRequests = Math.Max(0, needRequests - batch.Requests);
                lackTokens = Math.Max(0, needTokens - batch.Tokens);
                wantRequests = lackRequests > 0 && requestBatch >= 2 ? Math.Max(lackRequests, requestBatch) : lackRequests;
                wantTokens = lackTokens > 0 && tokenBatch >= 2 ? Math.Max(lackTokens, tokenBatch) : lackTokens;
                if (attempt >= 8)
                {
                    // Other requests of this node took each new batch first: ask for exactly this one.
                    (wantRequests, lackRequests, wantTokens, lackTokens) = (needRequests, needRequests, needTokens, needTokens);
                }
            }

            var elapsed = (now % 60_000) / 60_000.0;
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script,
                [Key(scope, "req", minute), Key(scope, "req", minute - 1), Key(scope, "tok", minute), Key(scope, "tok", minute - 1)],
                [requestsPerMinute, tokensPerMinute, lackRequests, wantRequests, lackTokens, wantTokens, elapsed.ToString("0.######", CultureInfo.InvariantCulture)])
                .ConfigureAwait(false))!;
            var refused = (int)result[0];
            if (refused != 0)
            {
                return refused;
            }

            long grantedRequests = (long)result[1], grantedTokens = (long)result[2];
            lock (_gate)
            {
                if (attempt >= 8)
                {
                    return 0; // granted exactly this request's permits
                }

                if (_batches.TryGetValue(scope, out var batch) && batch.Minute == minute)
                {
                    batch.Requests += grantedRequests;
                    batch.Tokens += grantedTokens;
                }
            }
        }
    }

    private RedisKey Key(string scope, string what, long minute) =>
        $"{prefix}rate:{scope}:{what}:{minute.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Gives back what batches idle for <paramref name="idleMs"/> have left (every second, from a timer).</summary>
    private void SweepIdle(long idleMs = IdleMs)
    {
        var tick = Environment.TickCount64;
        List<(string Scope, long Minute, long Requests, long Tokens)> back = [];
        lock (_gate)
        {
            List<string>? gone = null;
            foreach (var (scope, batch) in _batches)
            {
                if (tick - batch.LastUse >= idleMs && (batch.Requests > 0 || batch.Tokens > 0))
                {
                    back.Add((scope, batch.Minute, batch.Requests, batch.Tokens));
                    (batch.Requests, batch.Tokens) = (0, 0);
                }
                else if (tick - batch.LastUse > 120_000)
                {
                    (gone ??= []).Add(scope); // a scope no request asked for in two minutes
                }
            }

            foreach (var scope in gone ?? [])
            {
                _batches.Remove(scope);
            }
        }

        foreach (var (scope, minute, requests, tokens) in back)
        {
            try
            {
                redis.GetDatabase().ScriptEvaluate(ReturnScript, [Key(scope, "req", minute), Key(scope, "tok", minute)], [requests, tokens]);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                // Left counted: this node was only stricter than the limit for the rest of the window.
            }
        }
    }

    /// <summary>Stops the timer and gives back every unused permit (a node shutting down).</summary>
    public void Dispose()
    {
        _sweep.Dispose();
        SweepIdle(idleMs: 0);
    }

    /// <summary>Unused permits this node holds for <paramref name="scope"/> (tests).</summary>
    public (long Requests, long Tokens) Unused(string scope)
    {
        lock (_gate)
        {
            return _batches.TryGetValue(scope, out var b) ? (b.Requests, b.Tokens) : (0, 0);
        }
    }
}
