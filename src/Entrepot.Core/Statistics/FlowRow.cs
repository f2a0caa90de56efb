using System.Text.Json.Serialization;

namespace Entrepot.Core.Statistics;

/// <summary>Trades of one day from one origin jurisdiction (where the buyer's data comes from) to one
/// destination (where the seller runs inference), in one currency.</summary>
public sealed record FlowRow(
    [property: JsonPropertyName("day")] string Day,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("trades")] long Trades,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("value")] decimal Value);
