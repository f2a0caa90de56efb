using System.Globalization;
using System.Text.Json.Nodes;
using Entrepot.Core.Metering;

namespace Entrepot.Core.Trust;

/// <summary>
/// Settles one trade and checks the seller's receipt. The money is always the exchange's own figure:
/// its quote times the tokens it settles on, which are the seller's in-band usage when that is within
/// tolerance of the exchange's count and within the hold's bounds, else the exchange's count. What the
/// seller signed is compared with what the exchange saw (signature and pinned key, request id, attempt,
/// buyer, model, hashes, tokens, price, cost); every difference is a named flag, never money. A
/// receipt that cannot be read is flagged <c>seller_receipt_invalid</c> and the trade settled as if
/// there were none. Never throws.
/// </summary>
public static class ReceiptCheck
{
    /// <summary>Every flag this check can raise; all but <c>reconciled_from_seller_log</c> are disputes.</summary>
    public static readonly IReadOnlyList<string> AllFlags =
    [
        "reconciled_from_seller_log", "seller_receipt_missing", "seller_receipt_invalid", "seller_signature_invalid",
        "seller_key_not_pinned_key", "request_id_mismatch", "attempt_mismatch", "buyer_mismatch", "seller_mismatch", "model_mismatch",
        "request_hash_mismatch", "response_hash_mismatch", "receipt_tokens_differ_from_response_usage", "price_differs_from_quote",
        "cost_differs_from_quote", "input_tokens_beyond_tolerance", "output_tokens_beyond_tolerance", "input_tokens_absurd", "output_tokens_absurd",
    ];

    public const string Reconciled = "reconciled_from_seller_log";

    /// <summary>Settles and, for an exporter's trade, checks and countersigns its receipt.</summary>
    public static CheckedReceipt Settle(ReceiptEvidence e, SigningKey exchangeKey, string exchangeId)
    {
        var flags = new List<string>();
        if (e.Reconciled)
        {
            flags.Add(Reconciled);
        }

        SellerReceipt? receipt = null;
        string? receiptSha = null;
        if (e.SellerReceipt is { } raw)
        {
            receipt = SellerReceipt.TryRead(raw, out _);
            if (receipt is null)
            {
                flags.Add("seller_receipt_invalid");
                receiptSha = Sha256Hex.Of(System.Text.Encoding.UTF8.GetBytes(raw));
            }
            else if (receipt.SignatureProblem is not null)
            {
                flags.Add("seller_signature_invalid");
                receipt = null;
            }
            else if (e.PinnedSellerKey is { } pin && !KeyPin.Matches(pin, receipt.PublicKey))
            {
                // Signed, but not by the node the operator pinned: not this seller's word.
                flags.Add("seller_key_not_pinned_key");
                receipt = null;
            }
        }
        else if (e.SellerIsExporter)
        {
            flags.Add("seller_receipt_missing");
        }

        var input = SettleCount(e.ClaimedInput, e.CountedInput, e.MaxInput, "input", e.Tolerance, flags);
        var output = SettleCount(e.ClaimedOutput, e.CountedOutput, e.MaxOutput, "output", e.Tolerance, flags);
        // The seller's word on its cache only lowers what it is paid; on reasoning, it says which of
        // the settled output tokens (all billed at the output price) were spent thinking.
        var cached = Math.Clamp(e.ClaimedCached, 0, input);
        var reasoning = Math.Clamp(e.ClaimedReasoning, 0, output);
        var cost = Receipts.Cost(input, output, cached, e.InputPrice, e.OutputPrice, e.CachedInputPrice);
        if (receipt is not null)
        {
            Compare(e, receipt, flags);
        }

        var verified = receipt is not null;
        if (!e.SellerIsExporter && e.BuyerResponseSha256 is null && cached == 0 && reasoning == 0)
        {
            // A plain OpenAI-compatible seller: nothing to countersign now; the receipt is issued from
            // the stored row when asked for (Ed25519 is deterministic: always the same document). One
            // whose answer reached the buyer changed is countersigned now, with the buyer's hash, and kept.
            return new CheckedReceipt(null, flags, input, output, cost, e.Currency, false);
        }

        var check = Check(e, verified, flags, input, output, cost);
        if (cached > 0 || reasoning > 0)
        {
            var settled = (JsonObject)check["settled"]!;
            settled["cached_input_tokens"] = cached;
            settled["reasoning_tokens"] = reasoning;
            if (e.CachedInputPrice is { } cp)
            {
                settled["cached_input_price"] = cp.ToString(CultureInfo.InvariantCulture);
            }
        }

        if (receiptSha is not null)
        {
            check["seller_receipt_sha256"] = receiptSha; // what was refused, so it can be matched later
        }

        JsonObject document;
        if (verified)
        {
            document = Receipts.Countersign(receipt!.Body, receipt.Seller, check, exchangeKey, exchangeId);
        }
        else
        {
            var body = Receipts.Body("exchange-only", e.RequestId, e.Attempt, e.Buyer, e.SellerId, e.Model, input, output,
                e.InputPrice, e.OutputPrice, e.Currency, e.Started, e.Finished, e.RequestSha256, e.ResponseSha256);
            document = Receipts.Countersign(body, null, check, exchangeKey, exchangeId);
        }

        return new CheckedReceipt(document, flags, input, output, cost, e.Currency, verified);
    }

    /// <summary>The exchange-only receipt of a plain seller's trade, rebuilt from what was stored.</summary>
    public static JsonObject ExchangeOnly(ReceiptEvidence e, IReadOnlyList<string> flags, long input, long output, SigningKey exchangeKey, string exchangeId)
    {
        var cost = Receipts.Cost(input, output, e.InputPrice, e.OutputPrice);
        var body = Receipts.Body("exchange-only", e.RequestId, e.Attempt, e.Buyer, e.SellerId, e.Model, input, output,
            e.InputPrice, e.OutputPrice, e.Currency, e.Started, e.Finished, e.RequestSha256, e.ResponseSha256);
        return Receipts.Countersign(body, null, Check(e, false, flags, input, output, cost), exchangeKey, exchangeId);
    }

    private static JsonObject Check(ReceiptEvidence e, bool verified, IReadOnlyList<string> flags, long input, long output, decimal cost)
    {
        var check = CheckBlock(e, verified, flags, input, output, cost);
        if (e.BuyerResponseSha256 is { } buyer)
        {
            check["buyer_response_sha256"] = buyer;
        }

        return check;
    }

    private static JsonObject CheckBlock(ReceiptEvidence e, bool verified, IReadOnlyList<string> flags, long input, long output, decimal cost) => new()
    {
        ["seller_signature_verified"] = verified,
        ["input_tokens_counted"] = e.CountedInput,
        ["output_tokens_counted"] = e.CountedOutput,
        ["tolerance_percent"] = e.Tolerance.Percent,
        ["tolerance_tokens"] = e.Tolerance.Allowance,
        ["counter"] = e.Counter,
        ["flags"] = new JsonArray(flags.Select(f => (JsonNode)f).ToArray()),
        ["settled"] = new JsonObject
        {
            ["input_tokens"] = input,
            ["output_tokens"] = output,
            ["cost"] = cost.ToString("0.##########", CultureInfo.InvariantCulture),
            ["currency"] = e.Currency,
        },
    };

    /// <summary>
    /// The tokens a trade is billed for in one direction: the seller's claim when it is a sane count
    /// (from zero to the hold's bound) within tolerance of the exchange's count; otherwise the
    /// exchange's count (within the bound), and a flag says why.
    /// </summary>
    public static long SettleCount(long? claimed, long counted, long max, string direction, Tolerance tolerance, List<string> flags)
    {
        var own = Math.Clamp(counted, 0, Math.Max(0, max));
        if (claimed is not { } c)
        {
            return own;
        }

        if (c < 0 || c > max)
        {
            flags.Add(direction + "_tokens_absurd");
            return own;
        }

        if (tolerance.Beyond(c, counted))
        {
            flags.Add(direction + "_tokens_beyond_tolerance");
            return own;
        }

        return c;
    }

    private static void Compare(ReceiptEvidence e, SellerReceipt r, List<string> flags)
    {
        if (r.RequestId != e.RequestId)
        {
            flags.Add("request_id_mismatch");
        }

        if (r.Attempt != e.Attempt)
        {
            flags.Add("attempt_mismatch");
        }

        if (r.Buyer != (e.BuyerAlias ?? e.Buyer))
        {
            flags.Add("buyer_mismatch");
        }

        if (r.SellerId != e.SellerId)
        {
            flags.Add("seller_mismatch");
        }

        if (r.Model != e.Model)
        {
            flags.Add("model_mismatch");
        }

        if (r.RequestSha256 != e.RequestSha256)
        {
            flags.Add("request_hash_mismatch");
        }

        if (r.ResponseSha256 != e.ResponseSha256)
        {
            flags.Add("response_hash_mismatch");
        }

        if ((e.ClaimedInput is { } ci && r.InputTokens != ci) || (e.ClaimedOutput is { } co && r.OutputTokens != co))
        {
            flags.Add("receipt_tokens_differ_from_response_usage");
        }

        if (r.InputPrice != e.InputPrice || r.OutputPrice != e.OutputPrice || r.Currency != e.Currency)
        {
            flags.Add("price_differs_from_quote");
        }

        if (!SameCost(r, e))
        {
            flags.Add("cost_differs_from_quote");
        }
    }

    /// <summary>Whether the receipt's cost is its own tokens at the quote (an absurd count overflows: not the same).</summary>
    private static bool SameCost(SellerReceipt r, ReceiptEvidence e)
    {
        try
        {
            return r.InputTokens >= 0 && r.OutputTokens >= 0 && r.Cost == Receipts.Cost(r.InputTokens, r.OutputTokens, e.InputPrice, e.OutputPrice);
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}

/// <summary>One settled trade: what the ledger bills (tokens, cost in the quote's currency), the
/// flags, and for an exporter's trade the countersigned receipt document.</summary>
public sealed record CheckedReceipt(JsonObject? Document, IReadOnlyList<string> Flags, long InputTokens, long OutputTokens, decimal Cost, string Currency, bool SellerVerified)
{
    /// <summary>Whether any flag says the seller's word and the exchange's observation disagree.</summary>
    public bool Disputed => Flags.Any(f => f != ReceiptCheck.Reconciled);
}
