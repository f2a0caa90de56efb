using System.Globalization;
using System.Text;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;

namespace Entrepot.Storage;

/// <summary>
/// How a ledger entry and a checkpoint are stored as text, the same in every store (SQLite and
/// PostgreSQL), and the checks of a stored ledger that do not depend on the store: checkpoints'
/// signatures, their key, and that they name hashes the chain actually has.
/// </summary>
public static class LedgerRows
{
    /// <summary>Entries between two signed checkpoints, at most.</summary>
    public const int CheckpointEvery = 1000;

    public static byte[] CheckpointMessage(long seq, string hash) =>
        Encoding.UTF8.GetBytes($"entrepot-ledger-checkpoint:{seq.ToString(CultureInfo.InvariantCulture)}:{hash}");

    public static string FormatPostings(IReadOnlyList<Posting> postings) => FormatPostings(postings, stackalloc char[512]).ToString();

    /// <summary>"account=amount|account=amount", written into <paramref name="into"/> when it fits.</summary>
    public static ReadOnlySpan<char> FormatPostings(IReadOnlyList<Posting> postings, Span<char> into)
    {
        Span<char> amount = stackalloc char[64];
        int n = 0;
        for (int i = 0; i < postings.Count; i++)
        {
            var a = LedgerEntry.FormatAmount(postings[i].Amount, amount);
            var account = postings[i].Account;
            if (n + account.Length + a.Length + 2 > into.Length)
            {
                return string.Join("|", postings.Select(p => p.Account + "=" + LedgerEntry.Amount(p.Amount)));
            }

            if (i > 0)
            {
                into[n++] = '|';
            }

            account.CopyTo(into[n..]);
            n += account.Length;
            into[n++] = '=';
            a.CopyTo(into[n..]);
            n += a.Length;
        }

        return into[..n];
    }

    public static IReadOnlyList<Posting> ParsePostings(string text) => text.Split('|', StringSplitOptions.RemoveEmptyEntries)
        .Select(part =>
        {
            int eq = part.LastIndexOf('=');
            return new Posting(part[..eq], decimal.Parse(part[(eq + 1)..], NumberStyles.Number, CultureInfo.InvariantCulture));
        }).ToList();

    /// <summary>Reads checkpoint rows (seq, hash, key_id, public_key, signature).</summary>
    public static Dictionary<long, (string Hash, string KeyId, string PublicKey, string Signature)> ReadCheckpoints(System.Data.Common.DbDataReader r)
    {
        var marks = new Dictionary<long, (string Hash, string KeyId, string PublicKey, string Signature)>();
        while (r.Read())
        {
            marks[r.GetInt64(0)] = (r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4));
        }

        return marks;
    }

    /// <summary>
    /// Feeds ledger rows (seq, receipt_id, ts, currency, postings, prev_hash, hash, in seq order) to
    /// <paramref name="verifier"/>; null when the chain holds, else the first problem.
    /// </summary>
    public static string? VerifyChain(System.Data.Common.DbDataReader r, LedgerVerifier verifier, IReadOnlyDictionary<long, (string Hash, string KeyId, string PublicKey, string Signature)> marks)
    {
        while (r.Read())
        {
            long seq = r.GetInt64(0);
            IReadOnlyList<Posting> postings;
            DateTimeOffset ts;
            try
            {
                ts = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
                postings = ParsePostings(r.GetString(4));
            }
            catch (FormatException)
            {
                return $"entry {seq}: the row is unreadable (it was altered)";
            }

            if (verifier.Next(seq, r.GetString(1), ts, r.GetString(3), postings, r.GetString(5), r.GetString(6), marks.ContainsKey(seq)) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>After the chain was read through <paramref name="verifier"/>: every checkpoint signed
    /// by a valid key (the exchange's when <paramref name="trustedPublicKey"/> is given) over a hash the
    /// chain has at that entry. Null when all hold, else the first problem.</summary>
    public static string? VerifyCheckpoints(LedgerVerifier verifier, IReadOnlyDictionary<long, (string Hash, string KeyId, string PublicKey, string Signature)> marks,
        byte[]? trustedPublicKey, out int checkpoints)
    {
        checkpoints = 0;
        foreach (var (seq, m) in marks.OrderBy(m => m.Key))
        {
            var pk = Receipts.FromBase64Url(m.PublicKey);
            var sig = Receipts.FromBase64Url(m.Signature);
            if (pk is null || sig is null || !SigningKey.Verify(pk, CheckpointMessage(seq, m.Hash), sig))
            {
                return $"checkpoint at entry {seq}: the signature does not verify";
            }

            if (trustedPublicKey is not null && !pk.AsSpan().SequenceEqual(trustedPublicKey))
            {
                return $"checkpoint at entry {seq}: signed by key {m.KeyId}, not the exchange's";
            }

            if (verifier.HashAt(seq) is not { } h)
            {
                return $"checkpoint at entry {seq}: the ledger has no such entry (entries were removed)";
            }

            if (h != m.Hash)
            {
                return $"checkpoint at entry {seq}: the chain's hash there differs from the signed one";
            }

            checkpoints++;
        }

        return null;
    }
}
