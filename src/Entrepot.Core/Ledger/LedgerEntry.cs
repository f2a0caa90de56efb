using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Ledger;

/// <summary>
/// One append-only, hash-chained ledger entry: the double-entry postings of one receipt (buyer
/// debit, seller credit, exchange fee), which sum to zero in the entry's currency. Its hash is the
/// SHA-256 of the previous entry's hash and the RFC 8785 form of the entry's content, so changing,
/// removing or inserting any row breaks every hash after it.
/// </summary>
public sealed record LedgerEntry(long Seq, string ReceiptId, DateTimeOffset Timestamp, string Currency, IReadOnlyList<Posting> Postings, string PreviousHash, string Hash)
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static LedgerEntry Create(long seq, string receiptId, DateTimeOffset timestamp, string currency, IReadOnlyList<Posting> postings, string previousHash) =>
        new(seq, receiptId, timestamp, currency, postings, previousHash, ComputeHash(seq, receiptId, timestamp, currency, postings, previousHash));

    public static string ComputeHash(long seq, string receiptId, DateTimeOffset timestamp, string currency, IReadOnlyList<Posting> postings, string previousHash)
    {
        var content = new JsonObject
        {
            ["seq"] = seq,
            ["receipt_id"] = receiptId,
            ["ts"] = FormatTime(timestamp),
            ["currency"] = currency,
            ["postings"] = new JsonArray(postings.Select(p => (JsonNode)new JsonObject
            {
                ["account"] = p.Account,
                ["amount"] = Amount(p.Amount),
            }).ToArray()),
            ["prev"] = previousHash,
        };
        return Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(content)));
    }

    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Amounts as invariant decimal strings, trailing zeros removed, so the text is canonical.</summary>
    public static string Amount(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    public bool Balanced => Postings.Sum(p => p.Amount) == 0m;

    /// <summary>The postings of a trade: the buyer pays cost plus fee, the seller gets the cost, the exchange the fee.</summary>
    public static IReadOnlyList<Posting> ForTrade(string buyer, string seller, decimal cost, decimal feePercent)
    {
        var fee = decimal.Round(cost * feePercent / 100m, 12, MidpointRounding.ToEven);
        return
        [
            new Posting("buyer:" + buyer, -(cost + fee)),
            new Posting("seller:" + seller, cost),
            new Posting("exchange:fees", fee),
        ];
    }
}
