using Entrepot.Core.Market;

namespace Entrepot.Core.Routing;

/// <summary>A provider together with what the exchange has observed of it and its current quote.</summary>
public sealed record Candidate(Provider Provider, ProviderHealth Health, double EstimatedRoundTripMs)
{
    /// <summary>False for a node that stopped heartbeating: it has left the market.</summary>
    public bool InMarket { get; init; } = true;

    /// <summary>False when every cable path to the seller is cut.</summary>
    public bool Reachable { get; init; } = true;

    /// <summary>The price this request trades at (posted price times the spot multiplier), fixed for the
    /// life of this route table so a request is held and billed at the same quote.</summary>
    public Price SpotPrice { get; init; } = Provider.Price;

    /// <summary>In-flight plus queued requests over capacity, as the node last reported.</summary>
    public double Load { get; init; }

    /// <summary>The cable path (LOCODEs) the estimate assumes, when the network knows both ends.</summary>
    public IReadOnlyList<string>? Path { get; init; }

    /// <summary>Measured time to first byte once there are enough samples, else the network estimate.</summary>
    public double LatencyMs => Health.MeasuredTtfbMs ?? EstimatedRoundTripMs;

    /// <summary>Measured output tokens per second, else a prior proportional to posted capacity.</summary>
    public double TokensPerSecond => Health.MeasuredTokensPerSecond ?? 50.0 * Math.Max(1, Provider.Capacity);

    /// <summary>Blended spot price per million tokens, assuming as many output tokens as input tokens.</summary>
    public decimal BlendedPrice => SpotPrice.InputPerMillion + SpotPrice.OutputPerMillion;
}
