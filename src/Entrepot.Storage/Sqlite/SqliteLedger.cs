using System.Globalization;
using System.Text;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The ledger in SQLite: append-only, hash-chained entries written by one thread (the trade
/// recorder's), idempotent on the receipt id, with a checkpoint signed by the exchange's key at every
/// <see cref="LedgerCheckpoint.Every"/>th entry, <see cref="LedgerCheckpoint.SealWithin"/> after an
/// unsealed entry (<see cref="SealIfDue"/>, on the same thread) and at shutdown.
/// </summary>
public sealed class SqliteLedger : ILedgerStore
{
    private readonly SqliteDatabase _db;
    private readonly SigningKey _key;
    private readonly TimeProvider _time;
    private long _seq;
    private string _hash = LedgerEntry.Genesis;
    private long _checkpointed;
    private DateTimeOffset? _firstUnsealed;
    private RawStatement? _insert;
    private SqliteConnection? _insertConnection;

    public SqliteLedger(SqliteDatabase db, SigningKey key, TimeProvider? time = null)
    {
        _db = db;
        _key = key;
        _time = time ?? TimeProvider.System;
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1";
        using (var r = cmd.ExecuteReader())
        {
            if (r.Read())
            {
                _seq = r.GetInt64(0);
                _hash = r.GetString(1);
            }
        }

        cmd.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM ledger_checkpoints";
        _checkpointed = (long)cmd.ExecuteScalar()!;
        if (_seq > _checkpointed)
        {
            // Left unsealed by a crash: sealed at the first chance.
            _firstUnsealed = DateTimeOffset.MinValue;
        }
    }

    public long Count => Interlocked.Read(ref _seq);

    public DateTimeOffset? LastEntryTime()
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT ts FROM ledger ORDER BY seq DESC LIMIT 1";
        return cmd.ExecuteScalar() is string ts ? DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
    }

    /// <summary>Whether the ledger holds an entry for <paramref name="receiptId"/> (committed ones only).</summary>
    public bool Contains(string receiptId)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM ledger WHERE receipt_id = $r";
        cmd.Parameters.AddWithValue("$r", receiptId);
        return cmd.ExecuteScalar() is not null;
    }

    public bool HasEntry(long seq, string hash)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM ledger WHERE seq = $s AND hash = $h";
        cmd.Parameters.AddWithValue("$s", seq);
        cmd.Parameters.AddWithValue("$h", hash);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Appends the trades not yet in the ledger, in one transaction of its own; returns how many were new.</summary>
    public int Append(IEnumerable<LedgerPost> posts)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        var pending = Append(c, tx, posts);
        tx.Commit();
        Advance(pending);
        DropPrepared();
        return pending.Added;
    }

    /// <summary>
    /// Appends within the caller's transaction (the trade recorder's, so a trade's usage row, receipt and
    /// ledger entry commit together). The chain's end moves only when the caller, after its commit,
    /// calls <see cref="Advance"/>: a rolled-back batch leaves the ledger where it was. A receipt id
    /// already in the ledger is skipped by the unique index (INSERT OR IGNORE), not by a query per entry.
    /// Every <see cref="LedgerCheckpoint.Every"/>th entry is checkpointed as it is written.
    /// </summary>
    public Pending Append(SqliteConnection c, SqliteTransaction tx, IEnumerable<LedgerPost> posts)
    {
        var insert = Prepared(c);
        long seq = _seq;
        string hash = _hash;
        long checkpointed = _checkpointed;
        int added = 0;
        Span<char> text = stackalloc char[512];
        var ts = _time.GetUtcNow(); // the posting time: what the checkpoint rule is judged by
        foreach (var (receiptId, currency, postings) in posts)
        {
            var entryHash = LedgerEntry.ComputeHash(seq + 1, receiptId, ts, currency, postings, hash);
            insert.Int(0, seq + 1);
            insert.Text(1, receiptId);
            insert.Text(2, LedgerEntry.FormatTime(ts, text));
            insert.Text(3, currency);
            insert.Text(4, LedgerRows.FormatPostings(postings, text));
            insert.Text(5, hash);
            insert.Text(6, entryHash);
            if (insert.Execute() == 0)
            {
                continue;
            }

            seq++;
            hash = entryHash;
            added++;
            WriterPace.Between();
            if (seq - checkpointed >= LedgerCheckpoint.Every)
            {
                Checkpoint(c, tx, seq, hash);
                checkpointed = seq;
            }
        }

        return new Pending(seq, hash, added, checkpointed);
    }

    /// <summary>
    /// The invoice of <paramref name="account"/> for the entries timed in [from, to): every ledger entry
    /// debiting the buyer, with the model and tokens of its trade from the usage log when it has them.
    /// </summary>
    public static Invoice Invoice(SqliteDatabase db, string account, string period, DateTimeOffset from, DateTimeOffset to)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        // The posting text is matched loosely here and exactly by Invoice.LineOf.
        cmd.CommandText = """
            SELECT l.seq, l.receipt_id, l.ts, l.currency, l.postings, l.hash,
                   (SELECT u.provider_id FROM usage u WHERE u.request_id = l.receipt_id ORDER BY u.seq LIMIT 1),
                   (SELECT u.model FROM usage u WHERE u.request_id = l.receipt_id ORDER BY u.seq LIMIT 1),
                   (SELECT u.input_tokens FROM usage u WHERE u.request_id = l.receipt_id ORDER BY u.seq LIMIT 1),
                   (SELECT u.output_tokens FROM usage u WHERE u.request_id = l.receipt_id ORDER BY u.seq LIMIT 1)
            FROM ledger l
            WHERE l.ts >= $from AND l.ts < $to AND instr(l.postings, $buyer) > 0
            ORDER BY l.seq
            """;
        cmd.Parameters.AddWithValue("$from", LedgerEntry.FormatTime(from));
        cmd.Parameters.AddWithValue("$to", LedgerEntry.FormatTime(to));
        cmd.Parameters.AddWithValue("$buyer", "buyer:" + account + "=");
        using var r = cmd.ExecuteReader();
        var lines = new List<InvoiceLine>();
        while (r.Read())
        {
            var time = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
            var line = Core.Ledger.Invoice.LineOf(account, r.GetInt64(0), r.GetString(1), time, r.GetString(3), LedgerRows.ParsePostings(r.GetString(4)), r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7), r.IsDBNull(8) ? 0 : r.GetInt64(8), r.IsDBNull(9) ? 0 : r.GetInt64(9));
            if (line is not null)
            {
                lines.Add(line);
            }
        }

        return new Invoice(account, period, from, to, lines);
    }

    /// <summary>Moves the chain's end after the transaction that wrote <paramref name="pending"/> committed.</summary>
    public void Advance(Pending pending)
    {
        _hash = pending.Hash;
        Interlocked.Exchange(ref _seq, pending.Seq);
        _checkpointed = pending.Checkpointed;
        if (pending.Seq == pending.Checkpointed)
        {
            _firstUnsealed = null;
        }
        else if (pending.Added > 0)
        {
            _firstUnsealed ??= _time.GetUtcNow();
        }
    }

    /// <summary>Forgets the prepared statement (its connection failed or is going away).</summary>
    public void DropPrepared()
    {
        _insert?.Dispose();
        _insert = null;
        _insertConnection = null;
    }

    private RawStatement Prepared(SqliteConnection c)
    {
        if (_insert is not null && ReferenceEquals(_insertConnection, c))
        {
            return _insert;
        }

        DropPrepared();
        _insert = new RawStatement(c, "INSERT OR IGNORE INTO ledger(seq, receipt_id, ts, currency, postings, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        _insertConnection = c;
        return _insert;
    }

    /// <summary>Where the chain will end once the transaction commits, and its last checkpoint then.</summary>
    public readonly record struct Pending(long Seq, string Hash, int Added, long Checkpointed);

    /// <summary>Signs the current end of the chain (at shutdown, when due, or on demand).</summary>
    public void CheckpointNow()
    {
        if (_seq == _checkpointed || _seq == 0)
        {
            return;
        }

        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        Checkpoint(c, tx, _seq, _hash);
        tx.Commit();
        _checkpointed = _seq;
        _firstUnsealed = null;
    }

    /// <summary>Called by the ledger's writer thread when it is idle: seals what waited long enough.</summary>
    public void SealIfDue(DateTimeOffset now)
    {
        if (_firstUnsealed is { } first && now - first >= LedgerCheckpoint.SealWithin)
        {
            CheckpointNow();
        }
    }

    public IReadOnlyList<LedgerCheckpoint> Checkpoints(long afterSeq, int limit)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {LedgerRows.CheckpointColumns} FROM ledger_checkpoints WHERE seq > $a ORDER BY seq LIMIT $n";
        cmd.Parameters.AddWithValue("$a", afterSeq);
        cmd.Parameters.AddWithValue("$n", Math.Clamp(limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        return LedgerRows.ReadCheckpoints(r);
    }

    private void Checkpoint(SqliteConnection c, SqliteTransaction tx, long seq, string hash)
    {
        var signed = LedgerCheckpoint.Sign(_key, seq, hash, _time.GetUtcNow());
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO ledger_checkpoints(seq, hash, ts, key_id, public_key, signature) VALUES ($s, $h, $t, $k, $pk, $sig)";
        cmd.Parameters.AddWithValue("$s", seq);
        cmd.Parameters.AddWithValue("$h", hash);
        cmd.Parameters.AddWithValue("$t", signed.Timestamp);
        cmd.Parameters.AddWithValue("$k", signed.KeyId);
        cmd.Parameters.AddWithValue("$pk", signed.PublicKey);
        cmd.Parameters.AddWithValue("$sig", signed.Signature);
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Audits a ledger database (<see cref="LedgerAudit"/>): the chain and balances, every checkpoint's
    /// signature and hash, and the checkpoint rule; with the entries after the last checkpoint.
    /// </summary>
    public static LedgerReport Audit(SqliteDatabase db, byte[]? trustedPublicKey)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction(deferred: true); // one snapshot for checkpoints and chain
        List<LedgerCheckpoint> marks;
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT {LedgerRows.CheckpointColumns} FROM ledger_checkpoints ORDER BY seq";
            using var r = cmd.ExecuteReader();
            marks = LedgerRows.ReadCheckpoints(r);
        }

        var audit = new LedgerAudit(marks, trustedPublicKey);
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT seq, receipt_id, ts, currency, postings, prev_hash, hash FROM ledger ORDER BY seq";
            using var r = cmd.ExecuteReader();
            return LedgerReport.Of(audit, LedgerRows.Audit(r, audit));
        }
    }

    public static string? Verify(SqliteDatabase db, byte[]? trustedPublicKey, out long entries, out int checkpoints)
    {
        var report = Audit(db, trustedPublicKey);
        entries = report.Entries;
        checkpoints = report.Checkpoints;
        return report.Problem;
    }

    public LedgerReport Audit(byte[]? trustedPublicKey) => Audit(_db, trustedPublicKey);

    public void Dispose()
    {
        DropPrepared();
        CheckpointNow();
    }
}
