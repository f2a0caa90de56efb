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
        RateLimiter? rpm = requestsPerMinute is > 0 ? new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
        {
            PermitLimit = requestsPerMinute.Value, Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 6, QueueLimit = 0, AutoReplenishment = true,
        }) : null;
        RateLimiter? tpm = tokensPerMinute is > 0 ? new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokensPerMinute.Value, TokensPerPeriod = Math.Max(1, tokensPerMinute.Value / 60), ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0, AutoReplenishment = true,
        }) : null;
        if (_limits.TryGetValue(scope, out var old))
        {
            old.Requests?.Dispose();
            old.Tokens?.Dispose();
        }

        _limits[scope] = (rpm, tpm, requestsPerMinute ?? 0, tokensPerMinute ?? 0);
    }

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

    private static int RetryAfter(RateLimitLease lease, int fallback) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : fallback;

    public void Dispose()
    {
        foreach (var l in _limits.Values)
        {
            l.Requests?.Dispose();
            l.Tokens?.Dispose();
        }
    }
}
