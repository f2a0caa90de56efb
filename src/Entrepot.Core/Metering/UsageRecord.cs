namespace Entrepot.Core.Metering;

/// <summary>One request as metered by the exchange: who, where, how many tokens, at what cost,
/// and what the border decided. A record with <see cref="Border"/> set is also the customs
/// declaration of a cross-border trade (or of a refusal): one row serves both, so a trade costs
/// one insert. The same record carries the receipt evidence, so the receipt and the ledger entry
/// are written in the same transaction.</summary>
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

    /// <summary>The border's record for a declared trade; null for a domestic trade the rules left alone.</summary>
    public BorderRecord? Border { get; init; }

    /// <summary>What the exchange observed for the trade's receipt (and ledger entry); null when
    /// nothing was delivered.</summary>
    public Trust.ReceiptEvidence? Receipt { get; init; }
}

/// <summary>What the border decided for a trade, as declared.</summary>
public sealed record BorderRecord(string DataClass, string Categories, string Detected, string Verdict, string Rules, int Redactions, string RuleBook);
