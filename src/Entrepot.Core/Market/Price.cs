namespace Entrepot.Core.Market;

/// <summary>A posted price: amounts per million input and output tokens, in one currency.</summary>
public sealed record Price(decimal InputPerMillion, decimal OutputPerMillion, string Currency = "USD")
{
    public decimal CostOf(long inputTokens, long outputTokens) =>
        (inputTokens * InputPerMillion + outputTokens * OutputPerMillion) / 1_000_000m;
}
