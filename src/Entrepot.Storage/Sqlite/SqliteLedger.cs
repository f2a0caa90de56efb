using System.Globalization;
using System.Text;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The ledger in SQLite: append-only, hash-chained entries written by one thread (the receipt
/// writer's), idempotent on the receipt id, with a checkpoint signed by the exchange's key every
/// <see cref="CheckpointEvery"/> entries and at shutdown.
/// </summary>
public sealed class SqliteLedger : ILedgerStore
{
    public const int CheckpointEvery = 1000;

    private readonly SqliteDatabase _db;
    private readonly SigningKey _key;
    private long _seq;
    private string _hash = LedgerEntry.Genesis;
    private long _checkpointed;
    private RawStatement? _insert;
    private SqliteConnection? _insertConnection;

    public SqliteLedger(SqliteDatabase db, SigningKey key)
    {
        _db = db;
        _key = key;
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

    /// <summary>Appends the trades not yet in the ledger, in one transaction of its own; returns how many were new.</summary>
    public int Append(IEnumerable<(string ReceiptId, DateTimeOffset Timestamp, string Currency, IReadOnlyList<Posting> Postings)> trades)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        var pending = Append(c, tx, trades);
        tx.Commit();
        Advance(pending);
        DropPrepared();
        return pending.Added;
    }

    /// <summary>
    /// Appends within the caller's transaction (the trade writer's, so a trade's usage row, receipt and
    /// ledger entry commit together). The chain's end moves only when the caller, after its commit,
    /// calls <see cref="Advance"/>: a rolled-back batch leaves the ledger where it was. A receipt id
    /// already in the ledger is skipped by the unique index (INSERT OR IGNORE), not by a query per entry.
    /// </summary>
    public Pending Append(SqliteConnection c, SqliteTransaction tx, IEnumerable<(string ReceiptId, DateTimeOffset Timestamp, string Currency, IReadOnlyList<Posting> Postings)> trades)
    {
        var insert = Prepared(c);
        long seq = _seq;
        string hash = _hash;
        int added = 0;
        Span<char> text = stackalloc char[512];
        foreach (var (receiptId, ts, currency, postings) in trades)
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
        }

        bool checkpoint = seq - _checkpointed >= CheckpointEvery;
        if (checkpoint)
        {
            Checkpoint(c, tx, seq, hash);
        }

        return new Pending(seq, hash, added, checkpoint);
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
        if (pending.Checkpointed)
        {
            _checkpointed = pending.Seq;
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

    /// <summary>Where the chain will end once the transaction commits.</summary>
    public readonly record struct Pending(long Seq, string Hash, int Added, bool Checkpointed);

    /// <summary>Signs the current end of the chain (at shutdown, or on demand).</summary>
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
    }

    private void Checkpoint(SqliteConnection c, SqliteTransaction tx, long seq, string hash)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO ledger_checkpoints(seq, hash, ts, key_id, public_key, signature) VALUES ($s, $h, $t, $k, $pk, $sig)";
        cmd.Parameters.AddWithValue("$s", seq);
        cmd.Parameters.AddWithValue("$h", hash);
        cmd.Parameters.AddWithValue("$t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$k", _key.KeyId);
        cmd.Parameters.AddWithValue("$pk", Receipts.Base64Url(_key.PublicKey));
        cmd.Parameters.AddWithValue("$sig", Receipts.Base64Url(_key.Sign(LedgerRows.CheckpointMessage(seq, hash))));
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Verifies a ledger database: the chain and balances (<see cref="LedgerVerifier"/>), every
    /// checkpoint's signature, and that checkpoints name hashes the chain actually has. Returns null
    /// when valid, else the first problem.
    /// </summary>
    public static string? Verify(SqliteDatabase db, byte[]? trustedPublicKey, out long entries, out int checkpoints)
    {
        entries = 0;
        checkpoints = 0;
        using var c = db.Open();
        Dictionary<long, (string Hash, string KeyId, string PublicKey, string Signature)> marks;
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT seq, hash, key_id, public_key, signature FROM ledger_checkpoints ORDER BY seq";
            using var r = cmd.ExecuteReader();
            marks = LedgerRows.ReadCheckpoints(r);
        }

        var verifier = new LedgerVerifier();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT seq, receipt_id, ts, currency, postings, prev_hash, hash FROM ledger ORDER BY seq";
            using var r = cmd.ExecuteReader();
            if (LedgerRows.VerifyChain(r, verifier, marks) is { } problem)
            {
                entries = verifier.Entries;
                return problem;
            }
        }

        entries = verifier.Entries;
        return LedgerRows.VerifyCheckpoints(verifier, marks, trustedPublicKey, out checkpoints);
    }

    public string? Verify(byte[]? trustedPublicKey, out long entries, out int checkpoints) => Verify(_db, trustedPublicKey, out entries, out checkpoints);

    public void Dispose()
    {
        DropPrepared();
        CheckpointNow();
    }
}
