using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Trust;

/// <summary>
/// Receipts: what was delivered, signed by the seller's exporter node and countersigned by the
/// exchange after it checked them. The signed bytes are always the RFC 8785 canonical form of the
/// JSON object named in each signature, so any party can re-derive them from the document.
/// <code>
/// seller receipt:   {"receipt": R, "seller": {"id", "key_id", "public_key", "signature": sig(JCS(R))}}
/// exchange receipt: {"receipt": R, "seller": {...} | null, "check": C,
///                    "exchange": {"id", "key_id", "public_key", "signature": sig(JCS({receipt, seller, check}))}}
/// </code>
/// R holds: v, kind ("exporter" | "exchange-only"), request_id, attempt, buyer, seller, model,
/// input_tokens, output_tokens, price {input, output, currency} per million tokens and cost as
/// decimal strings, started_at, finished_at (RFC 3339 UTC), request_sha256 and response_sha256
/// (hex of the bytes as sent and as delivered).
/// </summary>
public static class Receipts
{
    public const string Header = "Entrepot-Receipt";
    public const string SseEvent = "entrepot.receipt";

    public static JsonObject Body(string kind, string requestId, int attempt, string buyer, string seller, string model,
        long inputTokens, long outputTokens, decimal inputPrice, decimal outputPrice, string currency,
        DateTimeOffset started, DateTimeOffset finished, string requestSha256, string responseSha256)
    {
        return new JsonObject
        {
            ["v"] = 1,
            ["kind"] = kind,
            ["request_id"] = requestId,
            ["attempt"] = attempt,
            ["buyer"] = buyer,
            ["seller"] = seller,
            ["model"] = model,
            ["input_tokens"] = inputTokens,
            ["output_tokens"] = outputTokens,
            ["price"] = new JsonObject
            {
                ["input"] = inputPrice.ToString(CultureInfo.InvariantCulture),
                ["output"] = outputPrice.ToString(CultureInfo.InvariantCulture),
                ["currency"] = currency,
            },
            ["cost"] = CostText(inputTokens, outputTokens, inputPrice, outputPrice),
            ["started_at"] = started.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["finished_at"] = finished.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["request_sha256"] = requestSha256,
            ["response_sha256"] = responseSha256,
        };
    }

    /// <summary>What a receipt says the trade cost: tokens at prices per million, to 10 decimals.</summary>
    public static string CostText(long inputTokens, long outputTokens, decimal inputPrice, decimal outputPrice) =>
        (((inputTokens * inputPrice) + (outputTokens * outputPrice)) / 1_000_000m).ToString("0.##########", CultureInfo.InvariantCulture);

    /// <summary><see cref="CostText"/> as a number: what the ledger bills for an exchange-only receipt.</summary>
    public static decimal Cost(long inputTokens, long outputTokens, decimal inputPrice, decimal outputPrice) =>
        decimal.Parse(CostText(inputTokens, outputTokens, inputPrice, outputPrice), NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>What the exchange settles a trade at: its input tokens at the input price, less those
    /// read from cache, which are at the cached price when the quote has one; to 10 decimals.</summary>
    public static decimal Cost(long inputTokens, long outputTokens, long cachedTokens, decimal inputPrice, decimal outputPrice, decimal? cachedPrice) =>
        cachedTokens <= 0 || cachedPrice is not { } cp ? Cost(inputTokens, outputTokens, inputPrice, outputPrice)
            : decimal.Parse((((inputTokens - cachedTokens) * inputPrice + cachedTokens * cp + outputTokens * outputPrice) / 1_000_000m)
                .ToString("0.##########", CultureInfo.InvariantCulture), NumberStyles.Number, CultureInfo.InvariantCulture);

    /// <summary>The seller's signed receipt.</summary>
    public static JsonObject SignAsSeller(JsonObject body, SigningKey key, string sellerId) => new()
    {
        ["receipt"] = body.DeepClone(),
        ["seller"] = Signer(sellerId, key, key.Sign(CanonicalJson.Serialize(body))),
    };

    /// <summary>The exchange's countersigned receipt over the receipt, the seller's signature block (or null) and its check.</summary>
    public static JsonObject Countersign(JsonObject body, JsonObject? sellerBlock, JsonObject check, SigningKey key, string exchangeId)
    {
        var signed = new JsonObject
        {
            ["receipt"] = body.DeepClone(),
            ["seller"] = sellerBlock?.DeepClone(),
            ["check"] = check.DeepClone(),
        };
        var signature = key.Sign(CanonicalJson.Serialize(signed));
        signed["exchange"] = Signer(exchangeId, key, signature);
        return signed;
    }

    /// <summary>Checks the seller block's signature over the receipt; null when valid, else why not.</summary>
    public static string? VerifySeller(JsonObject body, JsonObject? seller)
    {
        if (seller is null)
        {
            return "no seller signature";
        }

        return VerifyBlock(seller, CanonicalJson.Serialize(body), "seller");
    }

    /// <summary>Checks a countersigned receipt: the exchange's signature, and the seller's unless the
    /// receipt is exchange-only. Optionally pins the keys to trusted ones (<see cref="KeyPin"/>: whole
    /// public keys, or key ids). Null when valid.</summary>
    public static string? Verify(JsonObject document, string? trustedExchangeKey = null, string? trustedSellerKey = null)
    {
        if (document["receipt"] is not JsonObject body || document["exchange"] is not JsonObject exchange)
        {
            return "not an Entrepot exchange receipt (needs 'receipt' and 'exchange')";
        }

        var signed = new JsonObject
        {
            ["receipt"] = body.DeepClone(),
            ["seller"] = document["seller"]?.DeepClone(),
            ["check"] = document["check"]?.DeepClone(),
        };
        if (VerifyBlock(exchange, CanonicalJson.Serialize(signed), "exchange") is { } bad)
        {
            return bad;
        }

        if (trustedExchangeKey is not null && !KeyPin.Matches(trustedExchangeKey, FromBase64Url((string?)exchange["public_key"]) ?? []))
        {
            return $"exchange key {(string?)exchange["key_id"]} is not the trusted {trustedExchangeKey}";
        }

        if ((string?)body["kind"] == "exchange-only")
        {
            return null;
        }

        var seller = document["seller"] as JsonObject;
        if (VerifySeller(body, seller) is { } sellerBad)
        {
            return sellerBad;
        }

        return trustedSellerKey is not null && !KeyPin.Matches(trustedSellerKey, FromBase64Url((string?)seller!["public_key"]) ?? [])
            ? $"seller key {(string?)seller!["key_id"]} is not the trusted {trustedSellerKey}"
            : null;
    }

    private static JsonObject Signer(string id, SigningKey key, byte[] signature) => new()
    {
        ["id"] = id,
        ["key_id"] = key.KeyId,
        ["public_key"] = Base64Url(key.PublicKey),
        ["signature"] = Base64Url(signature),
    };

    private static string? VerifyBlock(JsonObject block, byte[] data, string who)
    {
        var pk = FromBase64Url((string?)block["public_key"]);
        var sig = FromBase64Url((string?)block["signature"]);
        if (pk is null || sig is null)
        {
            return $"{who} signature block is incomplete";
        }

        if ((string?)block["key_id"] != SigningKey.KeyIdOf(pk))
        {
            return $"{who} key_id does not match its public key";
        }

        return SigningKey.Verify(pk, data, sig) ? null : $"{who} signature does not match the document";
    }

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[]? FromBase64Url(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return null;
        }

        var b = s.Replace('-', '+').Replace('_', '/');
        b += (b.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        try
        {
            return Convert.FromBase64String(b);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A receipt for a header: base64url of its canonical JSON.</summary>
    public static string ToHeader(JsonObject receipt) => Base64Url(CanonicalJson.Serialize(receipt));

    public static JsonObject? FromHeader(string? value)
    {
        var bytes = FromBase64Url(value);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(Encoding.UTF8.GetString(bytes)) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
