using Entrepot.Core.Metering;

namespace Entrepot.Core.Trust;

/// <summary>What the exchange itself knows of one trade, to settle it and to check the seller's
/// receipt against: the bytes it sent and received (as hashes), the usage the seller stated in its
/// answer, the exchange's own count, the quote it routed at, the bounds its budget hold assumed, and
/// the seller's receipt if one came.</summary>
public sealed record ReceiptEvidence
{
    public required string RequestId { get; init; }
    public int Attempt { get; init; } = 1;
    public required string Buyer { get; init; }

    /// <summary>The name the seller knows the buyer by (a per-seller pseudonym); null: the account id.</summary>
    public string? BuyerAlias { get; init; }
    public required string SellerId { get; init; }
    public bool SellerIsExporter { get; init; }
    public required string Model { get; init; }

    /// <summary>Tokens as the seller's answer stated them (its usage object); null when it stated none.</summary>
    public long? ClaimedInput { get; init; }
    public long? ClaimedOutput { get; init; }

    /// <summary>Of the claimed input, the tokens the seller read from its prompt cache; of the claimed
    /// output, the tokens its model spent reasoning (0 when it named none).</summary>
    public long ClaimedCached { get; init; }
    public long ClaimedReasoning { get; init; }

    /// <summary>The exchange's own count (<see cref="Counter"/> says how it was made).</summary>
    public long CountedInput { get; init; }
    public long CountedOutput { get; init; }
    public Tolerance Tolerance { get; init; } = Tolerance.Estimate;
    public string Counter { get; init; } = EstimatingTokenCounter.Instance.Description;

    /// <summary>The most the budget hold assumed: a count beyond these (or below zero) is absurd.</summary>
    public long MaxInput { get; init; } = long.MaxValue;
    public long MaxOutput { get; init; } = long.MaxValue;

    /// <summary>The exchange's quote (per million tokens): what the trade is billed at.</summary>
    public decimal InputPrice { get; init; }
    public decimal OutputPrice { get; init; }

    /// <summary>The quote's price per million cached input tokens; null: the input price.</summary>
    public decimal? CachedInputPrice { get; init; }
    public string Currency { get; init; } = "USD";
    public DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; init; }
    public required string RequestSha256 { get; init; }
    public required string ResponseSha256 { get; init; }

    /// <summary>SHA-256 (hex) of the answer as the buyer received it, when that differs from what the
    /// seller sent by more than the exchange's own events: translated for another door, or with
    /// placeholders restored. The exchange's countersignature covers it; null otherwise.</summary>
    public string? BuyerResponseSha256 { get; init; }

    /// <summary>The seller's signed receipt as received (JSON), or null.</summary>
    public string? SellerReceipt { get; init; }

    /// <summary>The seller key configured for the provider, if pinned: a whole public key
    /// (base64url) or, in older configurations, a key id.</summary>
    public string? PinnedSellerKey { get; init; }

    /// <summary>Rebuilt from the seller's receipt log, not observed by the exchange: the exchange
    /// stopped before recording the trade. The receipt says so in its flags.</summary>
    public bool Reconciled { get; init; }
}
