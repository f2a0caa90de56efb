using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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

    /// <summary>
    /// SHA-256 of the entry's RFC 8785 form, written directly with its members in canonical order
    /// ({"currency","postings":[{"account","amount"}],"prev","receipt_id","seq","ts"}): the same bytes
    /// <see cref="CanonicalJson"/> gives for the equivalent JSON object (a test holds them equal), at a
    /// fraction of the cost, since every trade appends an entry.
    /// </summary>
    public static string ComputeHash(long seq, string receiptId, DateTimeOffset timestamp, string currency, IReadOnlyList<Posting> postings, string previousHash)
    {
        var sb = Canonical ??= new StringBuilder(256);
        sb.Clear();
        sb.Append("{\"currency\":");
        CanonicalJson.WriteString(currency, sb);
        sb.Append(",\"postings\":[");
        for (int i = 0; i < postings.Count; i++)
        {
            sb.Append(i == 0 ? "{\"account\":" : ",{\"account\":");
            CanonicalJson.WriteString(postings[i].Account, sb);
            sb.Append(",\"amount\":");
            CanonicalJson.WriteString(Amount(postings[i].Amount), sb);
            sb.Append('}');
        }

        sb.Append("],\"prev\":");
        CanonicalJson.WriteString(previousHash, sb);
        sb.Append(",\"receipt_id\":");
        CanonicalJson.WriteString(receiptId, sb);
        sb.Append(",\"seq\":").Append(seq.ToString(CultureInfo.InvariantCulture));
        sb.Append(",\"ts\":");
        CanonicalJson.WriteString(FormatTime(timestamp), sb);
        sb.Append('}');

        Span<byte> hash = stackalloc byte[32];
        int max = Encoding.UTF8.GetMaxByteCount(sb.Length);
        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = 0;
            foreach (var chunk in sb.GetChunks())
            {
                n += Encoding.UTF8.GetBytes(chunk.Span, rented.AsSpan(n));
            }

            SHA256.HashData(rented.AsSpan(0, n), hash);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The entry's content as a JSON object, hashed the slow, general way (for tests and audits).</summary>
    public static JsonObject Content(long seq, string receiptId, DateTimeOffset timestamp, string currency, IReadOnlyList<Posting> postings, string previousHash) => new()
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

    [ThreadStatic]
    private static StringBuilder? Canonical;

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
