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
        var w = new CanonicalWriter(Scratch ??= new byte[1024]);
        w.Raw("{\"currency\":"u8);
        w.String(currency);
        w.Raw(",\"postings\":["u8);
        Span<char> amount = stackalloc char[40];
        for (int i = 0; i < postings.Count; i++)
        {
            w.Raw(i == 0 ? "{\"account\":"u8 : ",{\"account\":"u8);
            w.String(postings[i].Account);
            w.Raw(",\"amount\":"u8);
            w.String(FormatAmount(postings[i].Amount, amount));
            w.Raw("}"u8);
        }

        w.Raw("],\"prev\":"u8);
        w.String(previousHash);
        w.Raw(",\"receipt_id\":"u8);
        w.String(receiptId);
        w.Raw(",\"seq\":"u8);
        w.Integer(seq);
        w.Raw(",\"ts\":"u8);
        Span<char> time = stackalloc char[32];
        w.String(FormatTime(timestamp, time));
        w.Raw("}"u8);

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(w.Written, hash);
        Scratch = w.Buffer;
        return Convert.ToHexStringLower(hash);
    }

    [ThreadStatic]
    private static byte[]? Scratch;

    /// <summary>UTF-8 output for <see cref="ComputeHash"/>: literal member names, and strings with
    /// RFC 8785's escapes (through <see cref="CanonicalJson"/> when a string needs any).</summary>
    private ref struct CanonicalWriter(byte[] buffer)
    {
        private static readonly System.Buffers.SearchValues<char> NeedsEscape =
            System.Buffers.SearchValues.Create("\"\\\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f");

        private int _length;

        public byte[] Buffer { get; private set; } = buffer;

        public readonly ReadOnlySpan<byte> Written => Buffer.AsSpan(0, _length);

        public void Raw(scoped ReadOnlySpan<byte> bytes)
        {
            Ensure(bytes.Length);
            bytes.CopyTo(Buffer.AsSpan(_length));
            _length += bytes.Length;
        }

        public void String(scoped ReadOnlySpan<char> s)
        {
            if (s.IndexOfAny(NeedsEscape) >= 0)
            {
                var sb = new StringBuilder(s.Length + 8);
                CanonicalJson.WriteString(s.ToString(), sb);
                Text(sb.ToString());
                return;
            }

            Raw("\""u8);
            Text(s);
            Raw("\""u8);
        }

        public void Integer(long value)
        {
            Ensure(20);
            value.TryFormat(Buffer.AsSpan(_length), out int n, default, CultureInfo.InvariantCulture);
            _length += n;
        }

        private void Text(scoped ReadOnlySpan<char> s)
        {
            Ensure(Encoding.UTF8.GetMaxByteCount(s.Length));
            _length += Encoding.UTF8.GetBytes(s, Buffer.AsSpan(_length));
        }

        private void Ensure(int more)
        {
            if (_length + more > Buffer.Length)
            {
                var bigger = new byte[Math.Max(Buffer.Length * 2, _length + more)];
                Buffer.AsSpan(0, _length).CopyTo(bigger);
                Buffer = bigger;
            }
        }
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

    /// <summary>UTC with seven fractional digits and a Z ("O" on a UTC time, which has a fast path).</summary>
    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public static ReadOnlySpan<char> FormatTime(DateTimeOffset t, Span<char> into) =>
        t.UtcDateTime.TryFormat(into, out int n, "O", CultureInfo.InvariantCulture) ? into[..n] : FormatTime(t);

    /// <summary>Amounts as invariant decimal strings, trailing zeros removed, so the text is canonical.</summary>
    public static string Amount(decimal d)
    {
        Span<char> into = stackalloc char[64];
        return FormatAmount(d, into).ToString();
    }

    /// <summary>
    /// The canonical amount text: the shortest invariant form (5.500 is "5.5", 5.0 is "5"). Trailing
    /// zeros are trimmed from the formatted text rather than divided away (a decimal division per
    /// amount showed in the trade writer's profile); zero keeps the division, which also folds a
    /// negative zero into "0".
    /// </summary>
    public static ReadOnlySpan<char> FormatAmount(decimal d, Span<char> into)
    {
        if (d == 0m)
        {
            d /= 1.000000000000000000000000000000000m;
        }

        if (!d.TryFormat(into, out int n, default, CultureInfo.InvariantCulture))
        {
            return d.ToString(CultureInfo.InvariantCulture);
        }

        if (d != 0m && into[..n].Contains('.'))
        {
            while (into[n - 1] == '0')
            {
                n--;
            }

            if (into[n - 1] == '.')
            {
                n--;
            }
        }

        return into[..n];
    }

    public bool Balanced => Postings.Sum(p => p.Amount) == 0m;

    /// <summary>The postings of a trade: the buyer pays cost plus fee, the seller gets the cost, the exchange the fee.</summary>
    public static IReadOnlyList<Posting> ForTrade(string buyer, string seller, decimal cost, decimal feePercent)
    {
        var fee = Fee(cost, feePercent);
        return
        [
            new Posting("buyer:" + buyer, -(cost + fee)),
            new Posting("seller:" + seller, cost),
            new Posting("exchange:fees", fee),
        ];
    }

    /// <summary>The exchange's fee on a cost, to 12 decimals (the amount its ledger posts).</summary>
    public static decimal Fee(decimal cost, decimal feePercent) => decimal.Round(cost * feePercent / 100m, 12, MidpointRounding.ToEven);

    /// <summary>What the buyer pays for a trade of this cost: the cost and the fee, as the ledger debits it.</summary>
    public static decimal BuyerDebit(decimal cost, decimal feePercent) => cost + Fee(cost, feePercent);
}
