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
/// </summary>
public sealed class PostgresLedger(PostgresDatabase db, SigningKey key, bool ownsDatabase = false) : ILedgerStore
{
    public long Count
    {
        get
        {
            using var c = db.Open();
            using var cmd = new NpgsqlCommand("SELECT COALESCE(MAX(seq), 0) FROM ledger", c);
            return (long)cmd.ExecuteScalar()!;
        }
    }

    public int Append(IEnumerable<(string ReceiptId, DateTimeOffset Timestamp, string Currency, IReadOnlyList<Posting> Postings)> trades)
    {
        var list = trades.ToList();
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
        using (var copy = c.BeginBinaryImport("COPY ledger (seq, receipt_id, ts, currency, postings, prev_hash, hash) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var (receiptId, ts, currency, postings) in list)
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
            }

            copy.Complete();
        }

        if (seq - checkpointed >= LedgerRows.CheckpointEvery)
        {
            Checkpoint(c, tx, seq, hash);
        }

        tx.Commit();
        return added;
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

    public string? Verify(byte[]? trustedPublicKey, out long entries, out int checkpoints) => Verify(db, trustedPublicKey, out entries, out checkpoints);

    /// <summary>Verifies a PostgreSQL ledger exactly as <see cref="Sqlite.SqliteLedger.Verify(Sqlite.SqliteDatabase, byte[], out long, out int)"/> does a SQLite one.</summary>
    public static string? Verify(PostgresDatabase db, byte[]? trustedPublicKey, out long entries, out int checkpoints)
    {
        entries = 0;
        checkpoints = 0;
        using var c = db.Open();
        // One snapshot for the checkpoints and the chain, so a writer appending meanwhile is not misread.
        using var tx = c.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        Dictionary<long, (string Hash, string KeyId, string PublicKey, string Signature)> marks;
        using (var cmd = new NpgsqlCommand("SELECT seq, hash, key_id, public_key, signature FROM ledger_checkpoints ORDER BY seq", c, tx))
        using (var r = cmd.ExecuteReader())
        {
            marks = LedgerRows.ReadCheckpoints(r);
        }

        var verifier = new LedgerVerifier();
        using (var cmd = new NpgsqlCommand("SELECT seq, receipt_id, ts, currency, postings, prev_hash, hash FROM ledger ORDER BY seq", c, tx))
        using (var r = cmd.ExecuteReader())
        {
            if (LedgerRows.VerifyChain(r, verifier, marks) is { } problem)
            {
                entries = verifier.Entries;
                return problem;
            }
        }

        entries = verifier.Entries;
        return LedgerRows.VerifyCheckpoints(verifier, marks, trustedPublicKey, out checkpoints);
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
        using var cmd = new NpgsqlCommand("INSERT INTO ledger_checkpoints(seq, hash, ts, key_id, public_key, signature) VALUES (@s, @h, @t, @k, @pk, @sig)", c, tx);
        cmd.Parameters.AddWithValue("s", seq);
        cmd.Parameters.AddWithValue("h", hash);
        cmd.Parameters.AddWithValue("t", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("k", key.KeyId);
        cmd.Parameters.AddWithValue("pk", Receipts.Base64Url(key.PublicKey));
        cmd.Parameters.AddWithValue("sig", Receipts.Base64Url(key.Sign(LedgerRows.CheckpointMessage(seq, hash))));
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
