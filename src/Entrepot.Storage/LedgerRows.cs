using System.Globalization;
using System.Text;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;

namespace Entrepot.Storage;

/// <summary>
/// How a ledger entry and a checkpoint are stored as text, the same in every store (SQLite and
/// PostgreSQL), and the audit of a stored ledger that does not depend on the store (<see cref="LedgerAudit"/>).
/// </summary>
public static class LedgerRows
{
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

    /// <summary>The columns a checkpoint row is read with, in <see cref="ReadCheckpoints"/>' order.</summary>
    public const string CheckpointColumns = "seq, hash, ts, key_id, public_key, signature";

    /// <summary>Reads checkpoint rows (<see cref="CheckpointColumns"/>).</summary>
    public static List<LedgerCheckpoint> ReadCheckpoints(System.Data.Common.DbDataReader r)
    {
        var marks = new List<LedgerCheckpoint>();
        while (r.Read())
        {
            marks.Add(new LedgerCheckpoint(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5)));
        }

        return marks;
    }

    /// <summary>
    /// Feeds ledger rows (seq, receipt_id, ts, currency, postings, prev_hash, hash, in seq order) to
    /// <paramref name="audit"/> and finishes it; null when the ledger holds, else the first problem.
    /// </summary>
    public static string? Audit(System.Data.Common.DbDataReader r, LedgerAudit audit)
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
            catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
            {
                return $"entry {seq}: the row is unreadable (it was altered)";
            }

            if (audit.Entry(seq, r.GetString(1), ts, r.GetString(3), postings, r.GetString(5), r.GetString(6)) is { } problem)
            {
                return problem;
            }
        }

        return audit.Finish();
    }
}

/// <summary>What a verification of a stored ledger found: the first problem (null: it holds), the
/// entries and checkpoints that held, and the entries after the last checkpoint.</summary>
public sealed record LedgerReport(string? Problem, long Entries, int Checkpoints, long TailEntries, long? TailFrom)
{
    public static LedgerReport Of(LedgerAudit audit, string? problem) => new(problem, audit.Entries, audit.Checkpoints, audit.TailEntries, audit.TailFrom);
}
