namespace Entrepot.Core.Metering;

/// <summary>One request as the relay saw it: who, where, what the seller said it used, how it ended,
/// what the border decided, and the evidence its settlement needs. The trade recorder settles it
/// (the exchange's own token count, the quote, the seller's receipt) into a <see cref="SettledTrade"/>,
/// which is what is stored and billed. A record with <see cref="Border"/> set is also the customs
/// declaration of a cross-border trade (or of a refusal).</summary>
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

    /// <summary>Tokens as the seller's answer stated them, or the estimate when it stated none
    /// (<see cref="UsageEstimated"/>): what the relay's metrics and caps see, never what is billed.</summary>
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public bool UsageEstimated { get; init; }

    /// <summary>The currency of the quote the trade is billed at.</summary>
    public string Currency { get; init; } = "USD";
    public required Outcome Outcome { get; init; }
    public int StatusCode { get; init; }
    public int Attempts { get; init; }
    public bool Stream { get; init; }
    public double LatencyMs { get; init; }
    public double OverheadUs { get; init; }

    /// <summary>The border's record for a declared trade; null for a domestic trade the rules left alone.</summary>
    public BorderRecord? Border { get; init; }

    /// <summary>What the exchange observed for the trade's receipt and settlement; null when nothing was delivered.</summary>
    public Trust.ReceiptEvidence? Receipt { get; init; }

    /// <summary>The buyer's texts (for the exchange's own token count; never stored).</summary>
    public Protocol.PromptContent? Prompt { get; init; }

    /// <summary>The generated text as delivered (for the exchange's own count; never stored).</summary>
    public string? Completion { get; init; }

    /// <summary>Stream events that carried text: the estimate's output count for token-streaming engines.</summary>
    public long ContentEvents { get; init; }

    /// <summary>The budget hold taken before forwarding: settled at the billed amount once the trade is settled.</summary>
    public Budgets.BudgetHold? Hold { get; init; }

    /// <summary>The currency of the budgets held on.</summary>
    public string? HoldCurrency { get; init; }
}

/// <summary>What the border decided for a trade, as declared.</summary>
public sealed record BorderRecord(string DataClass, string Categories, string Detected, string Verdict, string Rules, int Redactions, string RuleBook);
