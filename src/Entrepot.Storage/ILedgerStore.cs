using Entrepot.Core.Ledger;

namespace Entrepot.Storage;

/// <summary>
/// The append-only, hash-chained ledger, whichever database holds it (SQLite embedded, PostgreSQL
/// for several nodes). Both keep the same rows and text, so one verifier checks either.
/// </summary>
public interface ILedgerStore : IDisposable
{
    /// <summary>Entries in the chain.</summary>
    long Count { get; }

    /// <summary>Appends the trades not yet in the ledger (idempotent on the receipt id) in one
    /// transaction; returns how many were new.</summary>
    int Append(IEnumerable<(string ReceiptId, DateTimeOffset Timestamp, string Currency, IReadOnlyList<Posting> Postings)> trades);

    /// <summary>The time of the chain's last entry, if any.</summary>
    DateTimeOffset? LastEntryTime();

    /// <summary>Whether an entry for the receipt is committed.</summary>
    bool Contains(string receiptId);

    /// <summary>Signs the current end of the chain.</summary>
    void CheckpointNow();

    /// <summary>Recomputes the chain, every entry's balance and every checkpoint signature; null when
    /// valid, else the first problem, naming the entry.</summary>
    string? Verify(byte[]? trustedPublicKey, out long entries, out int checkpoints);
}
