using System.Text.Json.Serialization;

namespace Entrepot.Core.Statistics;

/// <summary>
/// A jurisdiction's trade in inference over a period, in one currency. Exports are tokens its sellers
/// generated for buyers elsewhere; imports are tokens its buyers bought from sellers elsewhere;
/// the balance is exports minus imports (positive: a net exporter of inference). Trades inside one
/// jurisdiction are neither.
/// </summary>
public sealed record TradeBalance(
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("export_tokens")] long ExportTokens,
    [property: JsonPropertyName("import_tokens")] long ImportTokens,
    [property: JsonPropertyName("export_value")] decimal ExportValue,
    [property: JsonPropertyName("import_value")] decimal ImportValue)
{
    [JsonPropertyName("balance")] public decimal Balance => ExportValue - ImportValue;
    [JsonPropertyName("token_balance")] public long TokenBalance => ExportTokens - ImportTokens;
}
