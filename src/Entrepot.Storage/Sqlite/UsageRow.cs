using System.Text.Json.Serialization;

namespace Entrepot.Storage.Sqlite;

/// <summary>A usage record as read back from the log, in the admin API's JSON shape.</summary>
public sealed record UsageRow(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("account_id")] string AccountId,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("provider_id")] string? ProviderId,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("destination")] string? Destination,
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("usage_estimated")] bool UsageEstimated,
    [property: JsonPropertyName("cost")] decimal Cost,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("status")] int Status,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("stream")] bool Stream,
    [property: JsonPropertyName("latency_ms")] double LatencyMs,
    [property: JsonPropertyName("overhead_us")] double OverheadUs,
    [property: JsonPropertyName("flags")] string Flags = "");
