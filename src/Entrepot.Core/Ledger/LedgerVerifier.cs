namespace Entrepot.Core.Ledger;

/// <summary>
/// Recomputes a ledger from its first entry: sequence without gaps, each previous-hash link, each
/// entry's own hash, each entry's balance, and every checkpoint's signature over the hash it names.
/// Reports the first entry that fails, so an altered, removed or inserted row is named.
/// </summary>
public sealed class LedgerVerifier
{
    private string _previous = LedgerEntry.Genesis;
    private long _expected = 1;
    private readonly Dictionary<long, string> _hashes = [];

    public long Entries { get; private set; }

    /// <summary>Null when the entry is consistent with everything before it; else what is wrong.</summary>
    public string? Next(long seq, string receiptId, DateTimeOffset ts, string currency, IReadOnlyList<Posting> postings, string previousHash, string hash, bool keepHash)
    {
        if (seq != _expected)
        {
            return $"entry {seq}: expected entry {_expected} here (a row was removed or inserted)";
        }

        if (previousHash != _previous)
        {
            return $"entry {seq}: its previous-hash does not match entry {seq - 1} (a row before it was changed, removed or inserted)";
        }

        var recomputed = LedgerEntry.ComputeHash(seq, receiptId, ts, currency, postings, previousHash);
        if (recomputed != hash)
        {
            return $"entry {seq} (receipt {receiptId}): its content does not match its hash (the row was altered)";
        }

        if (postings.Sum(p => p.Amount) != 0m)
        {
            return $"entry {seq} (receipt {receiptId}): postings do not sum to zero in {currency}";
        }

        _previous = hash;
        _expected++;
        Entries++;
        if (keepHash)
        {
            _hashes[seq] = hash;
        }

        return null;
    }

    /// <summary>The verified hash of entry <paramref name="seq"/>, if it was kept.</summary>
    public string? HashAt(long seq) => _hashes.TryGetValue(seq, out var h) ? h : null;
}
