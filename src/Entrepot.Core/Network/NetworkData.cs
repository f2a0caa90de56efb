using System.Text.Json.Serialization;

namespace Entrepot.Core.Network;

/// <summary>data/network.json as written: locations by UN/LOCODE, cables as landing-to-landing
/// segments with their published length, and land links. Every entry carries its source.</summary>
public sealed record NetworkData
{
    [JsonPropertyName("about")] public string? About { get; init; }
    [JsonPropertyName("locations")] public List<LocationData> Locations { get; init; } = [];
    [JsonPropertyName("cables")] public List<CableData> Cables { get; init; } = [];
    [JsonPropertyName("land_links")] public List<LandLinkData> LandLinks { get; init; } = [];
}

public sealed record LocationData
{
    [JsonPropertyName("locode")] public string? Locode { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("country")] public string? Country { get; init; }
    [JsonPropertyName("latitude")] public double? Latitude { get; init; }
    [JsonPropertyName("longitude")] public double? Longitude { get; init; }
    [JsonPropertyName("inference")] public bool Inference { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
}

public sealed record CableData
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("length_km")] public double? LengthKm { get; init; }
    [JsonPropertyName("ready_for_service")] public int? ReadyForService { get; init; }
    [JsonPropertyName("segments")] public List<List<string>> Segments { get; init; } = [];
    [JsonPropertyName("source")] public string? Source { get; init; }
}

public sealed record LandLinkData
{
    [JsonPropertyName("from")] public string? From { get; init; }
    [JsonPropertyName("to")] public string? To { get; init; }
    [JsonPropertyName("route_factor")] public double? RouteFactor { get; init; }
    [JsonPropertyName("source")] public string? Source { get; init; }
}

[JsonSourceGenerationOptions(ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(NetworkData))]
internal sealed partial class NetworkJsonContext : JsonSerializerContext;
