using System.Text.Json;
using System.Text.Json.Serialization;
using Entrepot.Core.Market;

namespace Entrepot.Cli.Demo;

/// <summary>The demo's exchange location and nodes, read from data/demo-market.json (embedded in the program).</summary>
internal sealed record DemoMarketData
{
    [JsonPropertyName("exchange")] public required DemoPlace Exchange { get; init; }
    [JsonPropertyName("nodes")] public required List<DemoNode> Nodes { get; init; }

    public static DemoMarketData Load()
    {
        using var stream = typeof(DemoMarketData).Assembly.GetManifestResourceStream("demo-market.json")
            ?? throw new InvalidOperationException("demo-market.json is not embedded in the program.");
        return JsonSerializer.Deserialize(stream, CliJsonContext.Default.DemoMarketData)!;
    }
}

internal sealed record DemoPlace
{
    [JsonPropertyName("jurisdiction")] public required string Jurisdiction { get; init; }
    [JsonPropertyName("city")] public required string City { get; init; }
    [JsonPropertyName("locode")] public string? Locode { get; init; }
    [JsonPropertyName("latitude")] public double Latitude { get; init; }
    [JsonPropertyName("longitude")] public double Longitude { get; init; }
}

internal sealed record DemoNode
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("jurisdiction")] public required string Jurisdiction { get; init; }
    [JsonPropertyName("city")] public required string City { get; init; }
    [JsonPropertyName("locode")] public string? Locode { get; init; }
    [JsonPropertyName("latitude")] public double Latitude { get; init; }
    [JsonPropertyName("longitude")] public double Longitude { get; init; }
    [JsonPropertyName("price")] public required PriceSpec Price { get; init; }

    /// <summary>The country the node's operator is owned from (the border's ownership rules read it).</summary>
    [JsonPropertyName("ownership")] public string? Ownership { get; init; }
}
