namespace Entrepot.Core.Metering;

/// <summary>One request as metered by the exchange: who, where, how many tokens, at what cost.</summary>
public sealed record UsageRecord
{
    public required string RequestId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string AccountId { get; init; }
    public string? KeyId { get; init; }
    public required string Model { get; init; }
    public string? ProviderId { get; init; }
    public required string OriginJurisdiction { get; init; }
    public string? DestinationJurisdiction { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public bool UsageEstimated { get; init; }
    public decimal Cost { get; init; }
    public string Currency { get; init; } = "USD";
    public required Outcome Outcome { get; init; }
    public int StatusCode { get; init; }
    public int Attempts { get; init; }
    public bool Stream { get; init; }
    public double LatencyMs { get; init; }
    public double OverheadUs { get; init; }
}
