namespace Entrepot.Core.Market;

/// <summary>
/// How far a seller's heartbeat may move its price from the one the operator configured: between
/// <see cref="Min"/> and <see cref="Max"/> times it, in the configured currency (by default half to
/// twice). A heartbeat may also narrow the configured models and report capacity up to the
/// configured capacity; it never adds a model or raises either bound.
/// </summary>
public sealed record PriceBounds(decimal Min, decimal Max)
{
    public static readonly PriceBounds Default = new(0.5m, 2m);

    /// <summary>Whether <paramref name="offered"/> is within the bounds of <paramref name="configured"/>; else why not.</summary>
    public string? Check(Price configured, Price offered)
    {
        if (!string.Equals(configured.Currency, offered.Currency, StringComparison.Ordinal))
        {
            return $"the price must stay in {configured.Currency}, the currency this seller is listed in";
        }

        bool Within(decimal listed, decimal asked) => asked >= listed * Min && asked <= listed * Max;
        return Within(configured.InputPerMillion, offered.InputPerMillion) && Within(configured.OutputPerMillion, offered.OutputPerMillion) ? null
            : $"the price must be within {Min}-{Max} times the listed {configured.InputPerMillion}/{configured.OutputPerMillion} {configured.Currency} per million tokens";
    }

    /// <summary>The offered price held to the bounds (for offers that reach the market by another way, such as a cluster's shared store).</summary>
    public Price Clamp(Price configured, Price offered)
    {
        if (!string.Equals(configured.Currency, offered.Currency, StringComparison.Ordinal))
        {
            return configured;
        }

        var input = Math.Clamp(offered.InputPerMillion, configured.InputPerMillion * Min, configured.InputPerMillion * Max);
        // A cached token never costs more than an uncached one.
        var cached = (offered.CachedInputPerMillion ?? configured.CachedInputPerMillion) is { } c ? Math.Min(c, input) : (decimal?)null;
        return offered with
        {
            InputPerMillion = input,
            OutputPerMillion = Math.Clamp(offered.OutputPerMillion, configured.OutputPerMillion * Min, configured.OutputPerMillion * Max),
            CachedInputPerMillion = cached,
        };
    }
}
