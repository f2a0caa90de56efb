using Entrepot.Core.Ledger;

namespace Entrepot.Storage;

/// <summary>
/// The append-only, hash-chained ledger, whichever database holds it (SQLite embedded, PostgreSQL
/// for several nodes). Both keep the same rows and text, so one verifier checks either. Checkpoints
/// are signed every <see cref="LedgerCheckpoint.Every"/> entries (at exactly that entry) and, when
/// fewer came, by <see cref="SealIfDue"/> once the oldest unsealed entry is
/// <see cref="LedgerCheckpoint.SealWithin"/> old; an idle ledger needs none.
/// </summary>
public interface ILedgerStore : IDisposable
{
    /// <summary>Entries in the chain.</summary>
    long Count { get; }

    /// <summary>Appends the trades not yet in the ledger (idempotent on the receipt id) in one
    /// transaction; returns how many were new.</summary>
    int Append(IEnumerable<LedgerPost> posts);

    /// <summary>The time of the chain's last entry, if any.</summary>
    DateTimeOffset? LastEntryTime();

    /// <summary>Whether an entry for the receipt is committed.</summary>
    bool Contains(string receiptId);

    /// <summary>Signs the current end of the chain, if entries came since the last checkpoint.</summary>
    void CheckpointNow();

    /// <summary>Checkpoints the chain's end when its oldest unsealed entry was appended
    /// <see cref="LedgerCheckpoint.SealWithin"/> before <paramref name="now"/> (or earlier).</summary>
    void SealIfDue(DateTimeOffset now);

    /// <summary>The signed checkpoints after entry <paramref name="afterSeq"/>, oldest first.</summary>
    IReadOnlyList<LedgerCheckpoint> Checkpoints(long afterSeq, int limit);

    /// <summary>Recomputes the chain, every entry's balance, every checkpoint signature (pinned to
    /// <paramref name="trustedPublicKey"/> when given) and the checkpoint rule.</summary>
    LedgerReport Audit(byte[]? trustedPublicKey);

    /// <summary>Whether entry <paramref name="seq"/> exists with hash <paramref name="hash"/>.</summary>
    bool HasEntry(long seq, string hash);
}

public static class LedgerStoreExtensions
{
    /// <summary>The audit's verdict: null when valid, else the first problem, naming the entry.</summary>
    public static string? Verify(this ILedgerStore ledger, byte[]? trustedPublicKey, out long entries, out int checkpoints)
    {
        var report = ledger.Audit(trustedPublicKey);
        entries = report.Entries;
        checkpoints = report.Checkpoints;
        return report.Problem;
    }
}
