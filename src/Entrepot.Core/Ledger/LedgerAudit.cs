namespace Entrepot.Core.Ledger;

/// <summary>
/// A full check of a stored ledger, fed its entries in order: the chain (<see cref="LedgerVerifier"/>),
/// every checkpoint's signature (and key, when pinned) and that it names the chain's hash at its
/// entry, and the rule the exchange keeps when it checkpoints: never more than
/// <see cref="LedgerCheckpoint.Every"/> entries without one, and none appended more than
/// <see cref="LedgerCheckpoint.SealWithin"/> (plus <see cref="LedgerCheckpoint.VerifySlack"/>) before
/// the checkpoint that covers it. So deleting checkpoints to hide a rewritten stretch is itself
/// found; only the last few seconds before a crash can be unsealed, and they are reported as such.
/// </summary>
public sealed class LedgerAudit
{
    private readonly LedgerVerifier _chain = new();
    private readonly List<LedgerCheckpoint> _checkpoints = [];
    private readonly string? _signatureProblem;
    private int _next;
    private long _sealedSeq;
    private DateTimeOffset _sealedAt = DateTimeOffset.MinValue;
    private bool _sealedTimeSigned = true;
    private DateTimeOffset? _earliestLive;
    private DateTimeOffset? _latestLive;
    private long _lastSeq;

    public LedgerAudit(IEnumerable<LedgerCheckpoint> checkpoints, byte[]? trustedPublicKey)
    {
        foreach (var c in checkpoints.OrderBy(c => c.Seq))
        {
            if (c.Check(trustedPublicKey, out var verified) is { } bad)
            {
                _signatureProblem ??= bad;
                continue;
            }

            _checkpoints.Add(verified);
        }
    }

    public long Entries => _chain.Entries;

    /// <summary>Checkpoints whose signature and hash held.</summary>
    public int Checkpoints { get; private set; }

    /// <summary>Entries after the last checkpoint (not yet sealed: the last seconds before a stop).</summary>
    public long TailEntries => _lastSeq - _sealedSeq;

    /// <summary>The first unsealed entry, when there is a tail.</summary>
    public long? TailFrom => TailEntries > 0 ? _sealedSeq + 1 : null;

    /// <summary>Null while the entries so far hold; else the first problem, naming the entry.</summary>
    public string? Entry(long seq, string receiptId, DateTimeOffset ts, string currency, IReadOnlyList<Posting> postings, string previousHash, string hash)
    {
        if (_signatureProblem is not null)
        {
            return _signatureProblem;
        }

        if (_chain.Next(seq, receiptId, ts, currency, postings, previousHash, hash, keepHash: false) is { } broken)
        {
            return broken;
        }

        _lastSeq = seq;
        if (ts > _sealedAt)
        {
            // Appended after the last checkpoint was made (a trade rebuilt later carries its older time).
            _earliestLive ??= ts;
            _latestLive = _latestLive is { } l && l > ts ? l : ts;
        }

        if (_next >= _checkpoints.Count || _checkpoints[_next].Seq != seq)
        {
            return null;
        }

        var c = _checkpoints[_next++];
        if (c.Hash != hash)
        {
            return $"checkpoint at entry {seq}: the chain's hash there differs from the signed one";
        }

        var limit = c.TimeSigned && _sealedTimeSigned ? LedgerCheckpoint.Every : LedgerCheckpoint.Every + 1024; // before checkpoints were exact
        if (seq - _sealedSeq > limit)
        {
            return $"entries {_sealedSeq + 1}-{seq}: {seq - _sealedSeq} entries between checkpoints, more than {LedgerCheckpoint.Every} (a checkpoint was removed)";
        }

        if (c.TimeSigned && _earliestLive is { } first && c.Time - first > LedgerCheckpoint.SealWithin + LedgerCheckpoint.VerifySlack)
        {
            return $"checkpoint at entry {seq} was made {(c.Time - first).TotalSeconds:0} s after an entry it covers; the one due {LedgerCheckpoint.SealWithin.TotalSeconds:0} s after that entry was removed";
        }

        Checkpoints++;
        _sealedSeq = seq;
        _sealedAt = c.Time;
        _sealedTimeSigned = c.TimeSigned;
        _earliestLive = null;
        _latestLive = null;
        return null;
    }

    /// <summary>After the last entry: checkpoints past the end of the chain, and the unsealed tail.</summary>
    public string? Finish()
    {
        if (_signatureProblem is not null)
        {
            return _signatureProblem;
        }

        if (_next < _checkpoints.Count)
        {
            return $"checkpoint at entry {_checkpoints[_next].Seq}: the ledger has no such entry (entries were removed)";
        }

        if (TailEntries > LedgerCheckpoint.Every)
        {
            return $"entries {_sealedSeq + 1}-{_lastSeq}: {TailEntries} entries after the last checkpoint, more than {LedgerCheckpoint.Every} (a checkpoint was removed)";
        }

        if (_earliestLive is { } first && _latestLive is { } last && last - first > LedgerCheckpoint.SealWithin + LedgerCheckpoint.VerifySlack)
        {
            return $"entries {_sealedSeq + 1}-{_lastSeq} span {(last - first).TotalSeconds:0} s with no checkpoint; the one due {LedgerCheckpoint.SealWithin.TotalSeconds:0} s after entry {_sealedSeq + 1} was removed";
        }

        return null;
    }
}
