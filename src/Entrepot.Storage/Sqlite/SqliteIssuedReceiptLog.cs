using System.Globalization;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// An exporter node's own record of every receipt it signed, kept so the exchange can fetch what it
/// missed (it was restarted, or killed, between the node's answer and its own commit). A receipt is
/// handed to the exchange only after it is committed here: <see cref="LogAsync"/> completes once
/// the batch holding it is in the file (group commit, so concurrent responses share one transaction).
/// </summary>
public sealed class SqliteIssuedReceiptLog : IAsyncDisposable
{
    private readonly SqliteDatabase _db;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _loop;
    // Answers wait for their receipt's commit, so the commit that crossed SQLite's checkpoint mark
    // held up every answer of its batch by the whole copy (the node's 16-23 ms p99 at one connection).
    private readonly WalCheckpointer _checkpointer;

    public SqliteIssuedReceiptLog(SqliteDatabase db)
    {
        _db = db;
        _checkpointer = new WalCheckpointer(db);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Opens (or creates) the log in a node's data directory.</summary>
    public static SqliteIssuedReceiptLog Open(string dataDir) => new(SqliteDatabase.ForExporter(Path.Combine(dataDir, "receipts.db")));

    /// <summary>Appends a signed receipt (canonical JSON), issued for <paramref name="exchange"/> (null: for
    /// no exchange in particular); completes when it is committed.</summary>
    public Task LogAsync(string requestId, int attempt, DateTimeOffset issued, string document, string? exchange = null)
    {
        var p = new Pending(requestId, attempt, issued.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), document, exchange,
            new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _queue.Writer.TryWrite(p) ? p.Done.Task : Task.FromException(new ObjectDisposedException(nameof(SqliteIssuedReceiptLog)));
    }

    /// <summary>Receipts after sequence number <paramref name="since"/>, oldest first, at most <paramref name="limit"/>:
    /// those issued for <paramref name="exchange"/> and those logged before receipts named their exchange
    /// (every receipt when it is null).</summary>
    public IReadOnlyList<IssuedReceipt> Since(long since, int limit, string? exchange = null)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT seq, request_id, attempt, issued_at, document FROM issued_receipts
            WHERE seq > $since AND ($for IS NULL OR issued_for IS NULL OR issued_for = $for) ORDER BY seq LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$for", (object?)exchange ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$since", since);
        cmd.Parameters.AddWithValue("$limit", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<IssuedReceipt>();
        while (r.Read())
        {
            list.Add(new IssuedReceipt(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), r.GetString(4)));
        }

        return list;
    }

    /// <summary>How many receipts the log holds.</summary>
    public long Count()
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM issued_receipts";
        return (long)cmd.ExecuteScalar()!;
    }

    private async Task LoopAsync()
    {
        var batch = new List<Pending>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < 512 && reader.TryRead(out var p))
            {
                batch.Add(p);
            }

            try
            {
                Write(batch);
                foreach (var p in batch)
                {
                    p.Done.TrySetResult();
                }
            }
            catch (Exception e) when (e is SqliteException or IOException)
            {
                foreach (var p in batch)
                {
                    p.Done.TrySetException(e);
                }
            }

            batch.Clear();
        }
    }

    private void Write(List<Pending> batch)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO issued_receipts(request_id, attempt, issued_at, document, issued_for) VALUES ($rid, $att, $ts, $doc, $for)";
        var rid = cmd.Parameters.Add("$rid", SqliteType.Text);
        var att = cmd.Parameters.Add("$att", SqliteType.Integer);
        var ts = cmd.Parameters.Add("$ts", SqliteType.Text);
        var doc = cmd.Parameters.Add("$doc", SqliteType.Text);
        var forExchange = cmd.Parameters.Add("$for", SqliteType.Text);
        cmd.Prepare();
        foreach (var p in batch)
        {
            rid.Value = p.RequestId;
            att.Value = p.Attempt;
            ts.Value = p.IssuedAt;
            doc.Value = p.Document;
            forExchange.Value = (object?)p.Exchange ?? DBNull.Value;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        _checkpointer.Dispose();
    }

    private sealed record Pending(string RequestId, int Attempt, string IssuedAt, string Document, string? Exchange, TaskCompletionSource Done);
}

/// <summary>One entry of an exporter node's receipt log.</summary>
public sealed record IssuedReceipt(long Seq, string RequestId, int Attempt, string IssuedAt, string Document);
