namespace Entrepot.Core.Trust;

/// <summary>What the exchange itself observed of one trade, to check the seller's receipt against
/// and to issue its own: the bytes it sent and received (as hashes), the usage the response
/// reported, its own token count, the price it routed at, and the seller's receipt if one came.</summary>
public sealed record ReceiptEvidence
{
    public required string RequestId { get; init; }
    public int Attempt { get; init; } = 1;
    public required string Buyer { get; init; }
    public required string SellerId { get; init; }
    public bool SellerIsExporter { get; init; }
    public required string Model { get; init; }

    /// <summary>Tokens as the response's usage stated them (or the estimate when it stated none).</summary>
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }

    /// <summary>The exchange's own count: the documented estimator (4 UTF-8 bytes a token) for input,
    /// and for streams the number of content events, one per generated token for token-streaming engines.</summary>
    public long CountedInput { get; init; }
    public long CountedOutput { get; init; }
    public decimal InputPrice { get; init; }
    public decimal OutputPrice { get; init; }
    public string Currency { get; init; } = "USD";
    public DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; init; }
    public required string RequestSha256 { get; init; }
    public required string ResponseSha256 { get; init; }

    /// <summary>The seller's signed receipt as received (JSON), or null.</summary>
    public string? SellerReceipt { get; init; }

    /// <summary>The seller key id configured for the provider, if pinned.</summary>
    public string? PinnedSellerKeyId { get; init; }

    /// <summary>Rebuilt from the seller's receipt log, not observed by the exchange: the exchange
    /// stopped before recording the trade. The receipt says so in its flags.</summary>
    public bool Reconciled { get; init; }
}
