using Entrepot.Core.Market;

namespace Entrepot.Core.Routing;

/// <summary>A provider together with what the exchange has observed of it.</summary>
public sealed record Candidate(Provider Provider, ProviderHealth Health, double EstimatedRoundTripMs)
{
    /// <summary>Measured time to first byte once there are enough samples, else the geographic estimate.</summary>
    public double LatencyMs => Health.MeasuredTtfbMs ?? EstimatedRoundTripMs;

    /// <summary>Measured output tokens per second, else a prior proportional to posted capacity.</summary>
    public double TokensPerSecond => Health.MeasuredTokensPerSecond ?? 50.0 * Math.Max(1, Provider.Capacity);

    /// <summary>Blended price per million tokens, assuming as many output tokens as input tokens.</summary>
    public decimal BlendedPrice => Provider.Price.InputPerMillion + Provider.Price.OutputPerMillion;
}
