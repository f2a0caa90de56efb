using System.Globalization;
using StackExchange.Redis;

namespace Entrepot.Storage.Redis;

/// <summary>
/// Requests and tokens per minute shared by every exchange node: a sliding-window counter in Redis
/// (this minute's count plus last minute's weighted by the part of it still inside the window),
/// checked and incremented by one script so concurrent nodes cannot both take the last permit.
/// </summary>
public sealed class RedisRateWindow(IConnectionMultiplexer redis, TimeProvider time, string prefix = "entrepot:")
{
    private const string Script = """
        local weight = 1 - tonumber(ARGV[4])
        local function estimate(cur, prev)
          return tonumber(redis.call('GET', cur) or '0') + tonumber(redis.call('GET', prev) or '0') * weight
        end
        local rpm, tpm = tonumber(ARGV[1]), tonumber(ARGV[2])
        local tokens = math.min(tonumber(ARGV[3]), tpm)
        if rpm > 0 and estimate(KEYS[1], KEYS[2]) + 1 > rpm then return 1 end
        if tpm > 0 and estimate(KEYS[3], KEYS[4]) + tokens > tpm then return 2 end
        if rpm > 0 then redis.call('INCR', KEYS[1]); redis.call('EXPIRE', KEYS[1], 130) end
        if tpm > 0 then redis.call('INCRBY', KEYS[3], tokens); redis.call('EXPIRE', KEYS[3], 130) end
        return 0
        """;

    /// <summary>0 when admitted, 1 when requests per minute, 2 when tokens per minute refuse.</summary>
    /// <exception cref="RedisException">Redis cannot be asked: the caller falls back to its own limits.</exception>
    public async Task<int> AdmitAsync(string scope, int requestsPerMinute, int tokensPerMinute, long tokens)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var minute = now / 60_000;
        var elapsed = (now % 60_000) / 60_000.0;
        string Key(string what, long m) => $"{prefix}rate:{scope}:{what}:{m.ToString(CultureInfo.InvariantCulture)}";
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Script,
            [Key("req", minute), Key("req", minute - 1), Key("tok", minute), Key("tok", minute - 1)],
            [requestsPerMinute, tokensPerMinute, tokens, elapsed.ToString("0.######", CultureInfo.InvariantCulture)]).ConfigureAwait(false);
        return (int)result;
    }
}
