using System.Globalization;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Npgsql;
using NpgsqlTypes;

namespace Entrepot.Storage.Postgres;

/// <summary>
/// The ledger in PostgreSQL: the same entries, text and checkpoints as <see cref="Sqlite.SqliteLedger"/>.
/// Every append takes a transaction-scoped advisory lock and reads the chain's end inside it, so
/// writers in several processes extend one chain in turn instead of forking it; entries already in
/// the ledger (by receipt id) are skipped in the same lock, and new ones are written with COPY.
/// Every node seals: whichever finds the oldest unsealed entry <see cref="LedgerCheckpoint.SealWithin"/>
/// old checkpoints the end, under the same lock.
/// </summary>
public sealed class PostgresLedger(PostgresDatabase db, SigningKey key, bool ownsDatabase = false, TimeProvider? time = null) : ILedgerStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public long Count
    {
        get
        {
            using var c = db.Open();
            using var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(seq), 0) FROM ledger", c);
            return (long)cmd.ExecuteScalar()!;
        }
    }

    public int Append(IEnumerable<LedgerPost> posts)
    {
        var list = posts.ToList();
        if (list.Count == 0)
        {
            return 0;
        }

        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var (seq, hash, checkpointed) = LockEnd(c, tx);
        var present = new HashSet<string>(StringComparer.Ordinal);
        using (var cmd = new NpgsqlCommand("SELECT receipt_id FROM ledger WHERE receipt_id = ANY(@ids)", c, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = list.Select(t => t.ReceiptId).Distinct().ToArray() });
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                present.Add(r.GetString(0));
            }
        }

        int added = 0;
        var due = new List<(long Seq, string Hash)>();
        using (var copy = c.BeginBinaryImport("COPY ledger (seq, receipt_id, ts, currency, postings, prev_hash, hash) FROM STDIN (FORMAT BINARY)"))
        {
            var ts = _time.GetUtcNow(); // the posting time, stamped under the lock: entries' times follow the chain
            foreach (var (receiptId, currency, postings) in list)
            {
                if (!present.Add(receiptId))
                {
                    continue;
                }

                var entryHash = LedgerEntry.ComputeHash(seq + 1, receiptId, ts, currency, postings, hash);
                copy.StartRow();
                copy.Write(seq + 1, NpgsqlDbType.Bigint);
                copy.Write(receiptId, NpgsqlDbType.Text);
                copy.Write(LedgerEntry.FormatTime(ts), NpgsqlDbType.Text);
                copy.Write(currency, NpgsqlDbType.Text);
                copy.Write(LedgerRows.FormatPostings(postings), NpgsqlDbType.Text);
                copy.Write(hash, NpgsqlDbType.Text);
                copy.Write(entryHash, NpgsqlDbType.Text);
                seq++;
                hash = entryHash;
                added++;
                if (seq - checkpointed >= LedgerCheckpoint.Every)
                {
                    due.Add((seq, hash));
                    checkpointed = seq;
                }
            }

            copy.Complete();
        }

        foreach (var (s, h) in due)
        {
            Checkpoint(c, tx, s, h);
        }

        tx.Commit();
        return added;
    }

    public bool HasEntry(long seq, string hash)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT 1 FROM ledger WHERE seq = @s AND hash = @h", c);
        cmd.Parameters.AddWithValue("s", seq);
        cmd.Parameters.AddWithValue("h", hash);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Seals the end of the chain when the first entry after the last checkpoint is
    /// <see cref="LedgerCheckpoint.SealWithin"/> old (by its time, or the checkpoint's when a trade
    /// rebuilt later carries an older one). Any node may: the lock makes it one checkpoint.</summary>
    public void SealIfDue(DateTimeOffset now)
    {
        using var c = db.Open();
        using (var peek = new NpgsqlCommand("""
            SELECT (SELECT COALESCE(MAX(seq), 0) FROM ledger) > (SELECT COALESCE(MAX(seq), 0) FROM ledger_checkpoints)
            """, c))
        {
            if (peek.ExecuteScalar() is not true)
            {
                return; // idle: nothing unsealed
            }
        }

        using var tx = c.BeginTransaction();
        var (seq, hash, checkpointed) = LockEnd(c, tx);
        if (seq == checkpointed)
        {
            tx.Commit();
            return;
        }

        using var first = new NpgsqlCommand("""
            SELECT l.ts, (SELECT ts FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1) FROM ledger l WHERE l.seq = @s
            """, c, tx);
        first.Parameters.AddWithValue("s", checkpointed + 1);
        DateTimeOffset appended = DateTimeOffset.MinValue;
        using (var r = first.ExecuteReader())
        {
            if (r.Read())
            {
                var entryTs = DateTimeOffset.Parse(r.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                var sealedTs = r.IsDBNull(1) ? DateTimeOffset.MinValue : DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                appended = entryTs > sealedTs ? entryTs : sealedTs;
            }
        }

        if (now - appended >= LedgerCheckpoint.SealWithin)
        {
            Checkpoint(c, tx, seq, hash);
        }

        tx.Commit();
    }

    public IReadOnlyList<LedgerCheckpoint> Checkpoints(long afterSeq, int limit)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT {LedgerRows.CheckpointColumns} FROM ledger_checkpoints WHERE seq > @a ORDER BY seq LIMIT @n", c);
        cmd.Parameters.AddWithValue("a", afterSeq);
        cmd.Parameters.AddWithValue("n", Math.Clamp(limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        return LedgerRows.ReadCheckpoints(r);
    }

    public DateTimeOffset? LastEntryTime()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT ts FROM ledger ORDER BY seq DESC LIMIT 1", c);
        return cmd.ExecuteScalar() is string ts ? DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
    }

    public bool Contains(string receiptId)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT 1 FROM ledger WHERE receipt_id = @r", c);
        cmd.Parameters.AddWithValue("r", receiptId);
        return cmd.ExecuteScalar() is not null;
    }

    public void CheckpointNow()
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var (seq, hash, checkpointed) = LockEnd(c, tx);
        if (seq > 0 && seq != checkpointed)
        {
            Checkpoint(c, tx, seq, hash);
        }

        tx.Commit();
    }

    public LedgerReport Audit(byte[]? trustedPublicKey) => Audit(db, trustedPublicKey);

    /// <summary>Audits a PostgreSQL ledger exactly as <see cref="Sqlite.SqliteLedger.Audit(Sqlite.SqliteDatabase, byte[])"/> does a SQLite one.</summary>
    public static LedgerReport Audit(PostgresDatabase db, byte[]? trustedPublicKey)
    {
        using var c = db.Open();
        // One snapshot for the checkpoints and the chain, so a writer appending meanwhile is not misread.
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        List<LedgerCheckpoint> marks;
        using (var cmd = new NpgsqlCommand($"SELECT {LedgerRows.CheckpointColumns} FROM ledger_checkpoints ORDER BY seq", c, tx))
        using (var r = cmd.ExecuteReader())
        {
            marks = LedgerRows.ReadCheckpoints(r);
        }

        var audit = new LedgerAudit(marks, trustedPublicKey);
        using (var cmd = new NpgsqlCommand("SELECT seq, receipt_id, ts, currency, postings, prev_hash, hash FROM ledger ORDER BY seq", c, tx))
        using (var r = cmd.ExecuteReader())
        {
            return LedgerReport.Of(audit, LedgerRows.Audit(r, audit));
        }
    }

    public static string? Verify(PostgresDatabase db, byte[]? trustedPublicKey, out long entries, out int checkpoints)
    {
        var report = Audit(db, trustedPublicKey);
        entries = report.Entries;
        checkpoints = report.Checkpoints;
        return report.Problem;
    }

    /// <summary>Takes the ledger's lock for this transaction and reads the chain's end under it.</summary>
    private static (long Seq, string Hash, long Checkpointed) LockEnd(NpgsqlConnection c, NpgsqlTransaction tx)
    {
        using var cmd = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgresDatabase.LedgerLock})", c, tx);
        cmd.ExecuteNonQuery();
        cmd.CommandText = "SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1";
        long seq = 0;
        string hash = LedgerEntry.Genesis;
        using (var r = cmd.ExecuteReader())
        {
            if (r.Read())
            {
                seq = r.GetInt64(0);
                hash = r.GetString(1);
            }
        }

        cmd.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM ledger_checkpoints";
        return (seq, hash, (long)cmd.ExecuteScalar()!);
    }

    private void Checkpoint(NpgsqlConnection c, NpgsqlTransaction tx, long seq, string hash)
    {
        var signed = LedgerCheckpoint.Sign(key, seq, hash, _time.GetUtcNow());
        using var cmd = new NpgsqlCommand("INSERT INTO ledger_checkpoints(seq, hash, ts, key_id, public_key, signature) VALUES (@s, @h, @t, @k, @pk, @sig)", c, tx);
        cmd.Parameters.AddWithValue("s", seq);
        cmd.Parameters.AddWithValue("h", hash);
        cmd.Parameters.AddWithValue("t", signed.Timestamp);
        cmd.Parameters.AddWithValue("k", signed.KeyId);
        cmd.Parameters.AddWithValue("pk", signed.PublicKey);
        cmd.Parameters.AddWithValue("sig", signed.Signature);
        cmd.ExecuteNonQuery();
    }

    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        CheckpointNow();
        if (ownsDatabase)
        {
            db.Dispose();
        }
    }
}
