using System.Globalization;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Trust;

/// <summary>
/// The exchange's side of a receipt: verify the seller's signature, compare what the seller signed
/// with what the exchange saw (request and response hashes, request id, model, token counts against
/// the response's usage and against the exchange's own count within a tolerance), record every
/// difference as a flag instead of hiding it, and countersign. A seller without an exporter node
/// gets an exchange-only receipt, marked so.
/// </summary>
public static class ReceiptCheck
{
    public static JsonObject Issue(ReceiptEvidence e, SigningKey exchangeKey, string exchangeId, double tolerance)
    {
        var flags = new JsonArray();
        if (e.Reconciled)
        {
            flags.Add("reconciled_from_seller_log");
        }

        JsonObject? body = null;
        JsonObject? seller = null;
        bool verified = false;
        if (e.SellerReceipt is { } raw)
        {
            JsonObject? doc = null;
            try
            {
                doc = JsonNode.Parse(raw) as JsonObject;
            }
            catch (System.Text.Json.JsonException)
            {
                flags.Add("seller_receipt_unreadable");
            }

            if (doc?["receipt"] is JsonObject r && doc["seller"] is JsonObject s)
            {
                var bad = Receipts.VerifySeller(r, s);
                if (bad is null)
                {
                    verified = true;
                    body = r;
                    seller = s;
                    Compare(e, r, s, flags, tolerance);
                }
                else
                {
                    flags.Add("seller_signature_invalid");
                }
            }
            else if (doc is not null)
            {
                flags.Add("seller_receipt_malformed");
            }
        }
        else if (e.SellerIsExporter)
        {
            flags.Add("seller_receipt_missing");
        }

        body ??= Receipts.Body(e.SellerIsExporter ? "exporter-unverified" : "exchange-only", e.RequestId, e.Attempt, e.Buyer, e.SellerId, e.Model,
            e.InputTokens, e.OutputTokens, e.InputPrice, e.OutputPrice, e.Currency, e.Started, e.Finished, e.RequestSha256, e.ResponseSha256);
        if (!verified && e.SellerIsExporter)
        {
            body["kind"] = "exchange-only";
        }

        var check = new JsonObject
        {
            ["seller_signature_verified"] = verified,
            ["input_tokens_counted"] = e.CountedInput,
            ["output_tokens_counted"] = e.CountedOutput,
            ["tolerance_percent"] = (long)Math.Round(tolerance * 100),
            ["estimator"] = "input: 4 UTF-8 bytes of prompt text per token; output: content events of the stream, else 4 bytes per token",
            ["flags"] = flags,
        };
        return Receipts.Countersign(body, seller, check, exchangeKey, exchangeId);
    }

    private static void Compare(ReceiptEvidence e, JsonObject r, JsonObject seller, JsonArray flags, double tolerance)
    {
        if ((string?)r["request_id"] != e.RequestId)
        {
            flags.Add("request_id_mismatch");
        }

        if ((string?)r["model"] != e.Model)
        {
            flags.Add("model_mismatch");
        }

        if ((string?)r["request_sha256"] != e.RequestSha256)
        {
            flags.Add("request_hash_mismatch");
        }

        if ((string?)r["response_sha256"] != e.ResponseSha256)
        {
            flags.Add("response_hash_mismatch");
        }

        if (e.PinnedSellerKeyId is { } pin && (string?)seller["key_id"] != pin)
        {
            flags.Add("seller_key_not_pinned_key");
        }

        long rin = Long(r["input_tokens"]), rout = Long(r["output_tokens"]);
        if (rin != e.InputTokens || rout != e.OutputTokens)
        {
            flags.Add("receipt_tokens_differ_from_response_usage");
        }

        if (Beyond(rin, e.CountedInput, tolerance))
        {
            flags.Add("input_tokens_beyond_tolerance");
        }

        if (Beyond(rout, e.CountedOutput, tolerance))
        {
            flags.Add("output_tokens_beyond_tolerance");
        }

        if (r["price"] is JsonObject p && (Dec(p["input"]) != e.InputPrice || Dec(p["output"]) != e.OutputPrice || (string?)p["currency"] != e.Currency))
        {
            flags.Add("price_differs_from_offer");
        }
    }

    /// <summary>More than the tolerance apart, with a few tokens of slack for short texts.</summary>
    public static bool Beyond(long claimed, long counted, double tolerance) =>
        Math.Abs(claimed - counted) > Math.Max(8, tolerance * Math.Max(claimed, counted));

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : n is JsonValue w && w.TryGetValue<int>(out var i) ? i : -1;

    private static decimal Dec(JsonNode? n) =>
        n is JsonValue v && v.TryGetValue<string>(out var s) && decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : -1;
}
