namespace Entrepot.Core.Market;

/// <summary>A posted price: amounts per million input and output tokens, in one currency; input
/// tokens the seller read from its prompt cache may be priced lower (<see cref="CachedInputPerMillion"/>).</summary>
public sealed record Price(decimal InputPerMillion, decimal OutputPerMillion, string Currency = "USD")
{
    /// <summary>The price of a cached input token; null: the input price.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>The cost at full input price: the most a request can cost, whatever is cached.</summary>
    public decimal CostOf(long inputTokens, long outputTokens) =>
        (inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m;
}
