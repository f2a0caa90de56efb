using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Trust;

/// <summary>
/// A seller's signed receipt read strictly: the exact shape Entrepot's exporter signs (every field
/// of its type, counts as integers, prices and cost as plain decimal strings, at most
/// <see cref="MaxBytes"/>), canonicalisable, and then its signature checked. Reading never throws: a
/// receipt that is not such a document is <see cref="Invalid"/> with the reason, so one seller's
/// malformed or hostile receipt can never stop the trade log.
/// </summary>
public sealed record SellerReceipt
{
    /// <summary>A receipt is about a kilobyte; anything near this is not one.</summary>
    public const int MaxBytes = 64 * 1024;

    public required JsonObject Body { get; init; }
    public required JsonObject Seller { get; init; }
    public required string RequestId { get; init; }
    public required int Attempt { get; init; }
    public required string Buyer { get; init; }
    public required string SellerId { get; init; }
    public required string Model { get; init; }
    public required long InputTokens { get; init; }
    public required long OutputTokens { get; init; }
    public required decimal InputPrice { get; init; }
    public required decimal OutputPrice { get; init; }
    public required string Currency { get; init; }
    public required decimal Cost { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required DateTimeOffset Finished { get; init; }
    public required string RequestSha256 { get; init; }
    public required string ResponseSha256 { get; init; }

    /// <summary>The exchange's quote token the seller was sent with the request, echoed (null if none).</summary>
    public string? Quote { get; init; }

    public required string KeyId { get; init; }
    public required byte[] PublicKey { get; init; }

    /// <summary>Null when the signature over the canonical receipt verifies with the embedded key.</summary>
    public string? SignatureProblem { get; init; }

    /// <summary>Reads a receipt as received: null with <paramref name="problem"/> when it is not a
    /// well-formed Entrepot receipt (the signature is checked separately, <see cref="SignatureProblem"/>).</summary>
    public static SellerReceipt? TryRead(string? raw, out string? problem)
    {
        if (raw is null)
        {
            problem = "no receipt";
            return null;
        }

        if (raw.Length > MaxBytes)
        {
            problem = $"larger than {MaxBytes / 1024} KB";
            return null;
        }

        JsonObject? doc;
        try
        {
            doc = JsonNode.Parse(raw, documentOptions: new JsonDocumentOptions { MaxDepth = 16 }) as JsonObject;
        }
        catch (JsonException)
        {
            problem = "not valid JSON";
            return null;
        }

        return TryRead(doc, out problem);
    }

    public static SellerReceipt? TryRead(JsonObject? doc, out string? problem)
    {
        problem = null;
        if (doc?["receipt"] is not JsonObject body || doc["seller"] is not JsonObject seller)
        {
            problem = "needs a 'receipt' object and a 'seller' object";
            return null;
        }

        string? Text(JsonObject o, string name) => o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        long? Integer(JsonObject o, string name) =>
            o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<JsonElement>(out var e) && e.TryGetInt64(out var l) ? l
            : o[name] is JsonValue w && w.TryGetValue<long>(out var l2) ? l2
            : o[name] is JsonValue x && x.TryGetValue<int>(out var i) ? i : null;

        var requestId = Text(body, "request_id");
        var buyer = Text(body, "buyer");
        var sellerId = Text(body, "seller");
        var model = Text(body, "model");
        var attempt = Integer(body, "attempt");
        var input = Integer(body, "input_tokens");
        var output = Integer(body, "output_tokens");
        var price = body["price"] as JsonObject;
        var currency = price is null ? null : Text(price, "currency");
        var cost = Decimal(Text(body, "cost"));
        var inputPrice = price is null ? null : Decimal(Text(price, "input"));
        var outputPrice = price is null ? null : Decimal(Text(price, "output"));
        var started = Time(Text(body, "started_at"));
        var finished = Time(Text(body, "finished_at"));
        var requestSha = Text(body, "request_sha256");
        var responseSha = Text(body, "response_sha256");
        var keyId = Text(seller, "key_id");
        var publicKey = Receipts.FromBase64Url(Text(seller, "public_key"));
        var signature = Receipts.FromBase64Url(Text(seller, "signature"));
        var quote = body["quote"];
        problem = requestId is not { Length: > 0 and <= 200 } ? "'request_id' is not a string"
            : attempt is not (>= 1 and <= 1000) ? "'attempt' is not an integer from 1 to 1000"
            : buyer is null ? "'buyer' is not a string"
            : sellerId is null ? "'seller' is not a string"
            : model is null ? "'model' is not a string"
            : input is null ? "'input_tokens' is not an integer"
            : output is null ? "'output_tokens' is not an integer"
            : inputPrice is null || outputPrice is null ? "'price.input' and 'price.output' must be decimal strings"
            : currency is not { Length: 3 } ? "'price.currency' is not an ISO 4217 code"
            : cost is null ? "'cost' is not a decimal string"
            : started is null || finished is null ? "'started_at' and 'finished_at' must be RFC 3339 times"
            : requestSha is null || responseSha is null ? "'request_sha256' and 'response_sha256' must be strings"
            : quote is not null && (quote is not JsonValue qv || qv.GetValueKind() != JsonValueKind.String) ? "'quote' is not a string"
            : keyId is null || publicKey is not { Length: 32 } || signature is null ? "the seller block needs 'key_id', a 32-byte 'public_key' and a 'signature'"
            : null;
        if (problem is not null)
        {
            return null;
        }

        byte[] canonical;
        try
        {
            canonical = CanonicalJson.Serialize(body);
        }
        catch (FormatException)
        {
            problem = "holds a number that is not an integer (signed documents hold integers only)";
            return null;
        }

        string? signatureProblem = keyId != SigningKey.KeyIdOf(publicKey!) ? "its key_id does not match its public key"
            : !SigningKey.Verify(publicKey, canonical, signature) ? "the signature does not match the receipt"
            : null;
        return new SellerReceipt
        {
            Body = body,
            Seller = seller,
            RequestId = requestId!,
            Attempt = (int)attempt!.Value,
            Buyer = buyer!,
            SellerId = sellerId!,
            Model = model!,
            InputTokens = input!.Value,
            OutputTokens = output!.Value,
            InputPrice = inputPrice!.Value,
            OutputPrice = outputPrice!.Value,
            Currency = currency!,
            Cost = cost!.Value,
            Started = started!.Value,
            Finished = finished!.Value,
            RequestSha256 = requestSha!,
            ResponseSha256 = responseSha!,
            Quote = (string?)quote,
            KeyId = keyId!,
            PublicKey = publicKey!,
            SignatureProblem = signatureProblem,
        };
    }

    /// <summary>A plain decimal string as receipts carry amounts: digits with an optional point, no
    /// sign, no exponent ("1e5" is not one).</summary>
    public static decimal? Decimal(string? s) =>
        s is { Length: > 0 and <= 40 } && decimal.TryParse(s, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) ? d : null;

    private static DateTimeOffset? Time(string? s) =>
        s is { Length: <= 40 } && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;
}
