using System.Text.Json.Serialization;

namespace Entrepot.Exchange.Api;

public sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data);

/// <summary>An OpenAI model object plus where it is sold and at what price range.</summary>
public sealed record ModelEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("providers")] IReadOnlyList<ModelOffer> Providers);

public sealed record ModelOffer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("city")] string? City,
    [property: JsonPropertyName("input_price")] decimal InputPrice,
    [property: JsonPropertyName("output_price")] decimal OutputPrice,
    [property: JsonPropertyName("currency")] string Currency);

public sealed record NewAccount(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("home_jurisdiction")] string? HomeJurisdiction);

public sealed record AccountView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("home_jurisdiction")] string HomeJurisdiction);

public sealed record IssuedKey(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("account_id")] string AccountId,
    [property: JsonPropertyName("key")] string Key);

public sealed record ProviderStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("base_url")] string BaseUrl,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("city")] string? City,
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("input_price")] decimal InputPrice,
    [property: JsonPropertyName("output_price")] decimal OutputPrice,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("circuit")] string Circuit,
    [property: JsonPropertyName("estimated_rtt_ms")] double EstimatedRttMs,
    [property: JsonPropertyName("measured_ttfb_ms")] double? MeasuredTtfbMs,
    [property: JsonPropertyName("measured_tokens_per_second")] double? MeasuredTokensPerSecond,
    [property: JsonPropertyName("successes")] long Successes,
    [property: JsonPropertyName("failures")] long Failures);

public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("providers")] int Providers,
    [property: JsonPropertyName("models")] int Models);
