namespace Entrepot.Core.Border;

/// <summary>
/// The customs declaration of one cross-border trade (or of a refusal at the border): where the
/// data came from and went, what it was, which rules decided, what was redacted, and how many
/// tokens of what value crossed: the read model of a usage record with a border part.
/// </summary>
public sealed record Declaration
{
    public long Seq { get; init; }
    public required string RequestId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string AccountId { get; init; }
    public required string Origin { get; init; }

    /// <summary>Null for a refusal (451): the data went nowhere.</summary>
    public string? Destination { get; init; }
    public string? ProviderId { get; init; }
    public required string Model { get; init; }
    public required string DataClass { get; init; }
    public required string Categories { get; init; }

    /// <summary>Detected entity counts, "email:2,phone:1".</summary>
    public required string Detected { get; init; }
    public required string Verdict { get; init; }

    /// <summary>Deciding rule ids, comma-separated.</summary>
    public required string Rules { get; init; }
    public int Redactions { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public decimal Value { get; init; }
    public string Currency { get; init; } = "USD";

    /// <summary>Fingerprint of the rule packs that decided, for replays after a change.</summary>
    public required string RuleBook { get; init; }
}
