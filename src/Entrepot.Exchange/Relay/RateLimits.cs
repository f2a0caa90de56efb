using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// Requests-per-minute (sliding window of six 10-second segments) and tokens-per-minute (token
/// bucket refilled every second) per account and per key, with System.Threading.RateLimiting.
/// A request counts its maximum tokens (prompt estimate plus max_tokens) when admitted.
/// </summary>
public sealed class RateLimits : IDisposable
{
    private readonly ConcurrentDictionary<string, (RateLimiter? Requests, RateLimiter? Tokens, int Rpm, int Tpm)> _limits = new(StringComparer.Ordinal);

    public void Set(string scope, int? requestsPerMinute, int? tokensPerMinute)
    {
        if (_limits.TryGetValue(scope, out var same) && same.Rpm == (requestsPerMinute ?? 0) && same.Tpm == (tokensPerMinute ?? 0))
        {
            return; // the same limits again (a reload): the windows are kept
        }

        // In a cluster these local limiters are the fallback while Redis is down: this node's share.
        var share = Math.Max(1, Nodes);
        RateLimiter? rpm = requestsPerMinute is > 0 ? new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, requestsPerMinute.Value / share), Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0, AutoReplenishment = true,
        }) : null;
        RateLimiter? tpm = tokensPerMinute is > 0 ? new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, tokensPerMinute.Value / share), TokensPerPeriod = Math.Max(1, tokensPerMinute.Value / share / 60), ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0, AutoReplenishment = true,
        }) : null;
        if (_limits.TryGetValue(scope, out var old))
        {
            old.Requests?.Dispose();
            old.Tokens?.Dispose();
        }

        _limits[scope] = (rpm, tpm, requestsPerMinute ?? 0, tokensPerMinute ?? 0);
    }

    /// <summary>Removes a scope's limits.</summary>
    public void Remove(string scope)
    {
        if (_limits.TryRemove(scope, out var old))
        {
            old.Requests?.Dispose();
            old.Tokens?.Dispose();
        }
    }

    /// <summary>The scopes with limits set.</summary>
    public IReadOnlyList<string> Scopes => _limits.Keys.ToList();

    public bool Any => !_limits.IsEmpty;

    /// <summary>Null when admitted on every scope; else the message and the seconds to wait.</summary>
    public (string Message, int RetryAfter)? Admit(IReadOnlyList<string> scopes, long tokens)
    {
        foreach (var scope in scopes)
        {
            if (!_limits.TryGetValue(scope, out var l))
            {
                continue;
            }

            if (l.Requests is not null)
            {
                using var lease = l.Requests.AttemptAcquire(1);
                if (!lease.IsAcquired)
                {
                    return ($"Rate limit requests_per_minute of {scope} ({l.Rpm.ToString(CultureInfo.InvariantCulture)}) reached.", RetryAfter(lease, 10));
                }
            }

            if (l.Tokens is not null)
            {
                int permits = (int)Math.Min(tokens, l.Tpm);
                using var lease = l.Tokens.AttemptAcquire(permits);
                if (!lease.IsAcquired)
                {
                    return ($"Rate limit tokens_per_minute of {scope} ({l.Tpm.ToString(CultureInfo.InvariantCulture)}) reached: this request may use up to {tokens.ToString(CultureInfo.InvariantCulture)} tokens.", RetryAfter(lease, 1));
                }
            }
        }

        return null;
    }

    /// <summary>Shared limits of a cluster (null: this node's own limiters only).</summary>
    public Storage.Redis.RedisRateWindow? Shared { get; init; }

    /// <summary>How many nodes share the limits: while Redis cannot be asked, each node admits its
    /// share of them on its own limiters, so the cluster stays within them.</summary>
    public int Nodes { get; init; } = 1;

    private int _sharedDown;

    /// <summary>Like <see cref="Admit"/>, against the cluster's shared counters when there are any.</summary>
    public async ValueTask<(string Message, int RetryAfter)?> AdmitAsync(IReadOnlyList<string> scopes, long tokens)
    {
        if (Shared is null || Volatile.Read(ref _sharedDown) == 1 && !RetryShared())
        {
            return Admit(scopes, tokens);
        }

        foreach (var scope in scopes)
        {
            if (!_limits.TryGetValue(scope, out var l))
            {
                continue;
            }

            int refused;
            try
            {
                refused = await Shared.AdmitAsync(scope, l.Rpm, l.Tpm, tokens).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                Volatile.Write(ref _sharedDown, 1);
                _downSince = Environment.TickCount64;
                return Admit(scopes, tokens); // this node's share, until Redis answers again
            }

            if (refused == 1)
            {
                return ($"Rate limit requests_per_minute of {scope} ({l.Rpm.ToString(CultureInfo.InvariantCulture)}) reached on this exchange.", 10);
            }

            if (refused == 2)
            {
                return ($"Rate limit tokens_per_minute of {scope} ({l.Tpm.ToString(CultureInfo.InvariantCulture)}) reached on this exchange: this request may use up to {tokens.ToString(CultureInfo.InvariantCulture)} tokens.", 1);
            }
        }

        return null;
    }

    private long _downSince;

    /// <summary>Once Redis has been down a second, the next request tries it again.</summary>
    private bool RetryShared()
    {
        if (Environment.TickCount64 - Interlocked.Read(ref _downSince) < 1000)
        {
            return false;
        }

        Volatile.Write(ref _sharedDown, 0);
        return true;
    }

    private static int RetryAfter(RateLimitLease lease, int fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : fallback;

    public void Dispose()
    {
        Shared?.Dispose();
        foreach (var l in _limits.Values)
        {
            l.Requests?.Dispose();
            l.Tokens?.Dispose();
        }
    }
}
