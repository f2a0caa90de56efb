using System.Text.Json.Serialization;
using Entrepot.Core.Ledger;

namespace Entrepot.Core.Metering;

/// <summary>
/// One trade as it is stored and billed: the usage row (settled tokens and cost, the declaration),
/// the receipt (its document when the exchange countersigned one at once, else what it is issued
/// from), the flags of its check and the ledger post. Everything here is plain data, so a trade that
/// cannot be written can wait whole in the dead-letter table and be written later as it was settled.
/// </summary>
public sealed record SettledTrade
{
    [JsonPropertyName("request_id")] public required string RequestId { get; init; }
    [JsonPropertyName("ts")] public required DateTimeOffset Timestamp { get; init; }
    [JsonPropertyName("account_id")] public required string AccountId { get; init; }
    [JsonPropertyName("key_id")] public string? KeyId { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("provider_id")] public string? ProviderId { get; init; }
    [JsonPropertyName("origin")] public required string Origin { get; init; }
    [JsonPropertyName("destination")] public string? Destination { get; init; }

    /// <summary>The tokens billed (the exchange's settlement), not necessarily what the seller claimed.</summary>
    [JsonPropertyName("input_tokens")] public long InputTokens { get; init; }
    [JsonPropertyName("output_tokens")] public long OutputTokens { get; init; }
    [JsonPropertyName("usage_estimated")] public bool UsageEstimated { get; init; }
    [JsonPropertyName("cost")] public decimal Cost { get; init; }
    [JsonPropertyName("currency")] public string Currency { get; init; } = "USD";
    [JsonPropertyName("outcome")] public required string Outcome { get; init; }
    [JsonPropertyName("status")] public int StatusCode { get; init; }
    [JsonPropertyName("attempts")] public int Attempts { get; init; }
    [JsonPropertyName("stream")] public bool Stream { get; init; }
    [JsonPropertyName("latency_ms")] public double LatencyMs { get; init; }
    [JsonPropertyName("overhead_us")] public double OverheadUs { get; init; }
    [JsonPropertyName("border")] public BorderRecord? Border { get; init; }

    /// <summary>Null: no receipt (nothing delivered); "stored": the countersigned document is
    /// <see cref="ReceiptDocument"/>; "exchange-only": issued from this row when asked for.</summary>
    [JsonPropertyName("receipt")] public string? Receipt { get; init; }
    [JsonPropertyName("receipt_document")] public string? ReceiptDocument { get; init; }
    [JsonPropertyName("receipt_kind")] public string? ReceiptKind { get; init; }
    [JsonPropertyName("seller_verified")] public bool SellerVerified { get; init; }
    [JsonPropertyName("attempt")] public int Attempt { get; init; } = 1;
    [JsonPropertyName("request_sha256")] public string? RequestSha256 { get; init; }
    [JsonPropertyName("response_sha256")] public string? ResponseSha256 { get; init; }
    [JsonPropertyName("claimed_input")] public long? ClaimedInput { get; init; }
    [JsonPropertyName("claimed_output")] public long? ClaimedOutput { get; init; }
    [JsonPropertyName("counted_input")] public long CountedInput { get; init; }
    [JsonPropertyName("counted_output")] public long CountedOutput { get; init; }
    [JsonPropertyName("counter")] public string? Counter { get; init; }
    [JsonPropertyName("tolerance_percent")] public long TolerancePercent { get; init; }
    [JsonPropertyName("tolerance_tokens")] public long ToleranceTokens { get; init; }
    [JsonPropertyName("price_input")] public decimal PriceInput { get; init; }
    [JsonPropertyName("price_output")] public decimal PriceOutput { get; init; }
    [JsonPropertyName("flags")] public string Flags { get; init; } = "";

    /// <summary>The entry the ledger bills, once per request id; null when nothing was delivered.</summary>
    [JsonPropertyName("post")] public LedgerPost? Post { get; init; }

    /// <summary>Rebuilt from a seller's receipt log rather than observed.</summary>
    [JsonPropertyName("reconciled")] public bool Reconciled { get; init; }

    [JsonIgnore]
    public bool Disputed => Flags.Length > 0 && Flags != Trust.ReceiptCheck.Reconciled;
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SettledTrade))]
internal sealed partial class SettlementJsonContext : JsonSerializerContext;

/// <summary>A settled trade as JSON, for the dead-letter table.</summary>
public static class SettledTradeJson
{
    public static string Write(SettledTrade t) => System.Text.Json.JsonSerializer.Serialize(t, SettlementJsonContext.Default.SettledTrade);

    public static SettledTrade? Read(string json)
    {
        try
        {
            return System.Text.Json.JsonSerializer.Deserialize(json, SettlementJsonContext.Default.SettledTrade);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
