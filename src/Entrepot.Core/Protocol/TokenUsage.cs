namespace Entrepot.Core.Protocol;

/// <summary>Token counts of one response, and whether the seller reported them or they were estimated.</summary>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, bool Estimated)
{
    public long Total => InputTokens + OutputTokens;
}
