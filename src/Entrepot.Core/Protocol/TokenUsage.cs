namespace Entrepot.Core.Protocol;

/// <summary>Token counts of one response, and whether the seller reported them or they were estimated.</summary>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, bool Estimated)
{
    /// <summary>Of the input, the tokens the seller says it read from its prompt cache.</summary>
    public long CachedTokens { get; init; }

    /// <summary>Of the output, the tokens the seller says its model spent reasoning.</summary>
    public long ReasoningTokens { get; init; }

    public long Total => InputTokens + OutputTokens;
}
