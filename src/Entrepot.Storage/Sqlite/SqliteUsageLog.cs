using System.Globalization;
using System.Threading.Channels;
using Entrepot.Core.Metering;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The usage log. Requests hand records to a bounded channel and go on; one background writer
/// drains it and commits each batch in a single transaction with a prepared statement. When the
/// channel is full, writers wait (back-pressure) rather than drop a record.
/// </summary>
public sealed class SqliteUsageLog : IUsageSink, IAsyncDisposable
{
    public const int MaxBatch = 1024;

    private readonly SqliteDatabase _db;
    private readonly Channel<UsageRecord> _queue;
    private readonly Task _writer;
    private long _written;

    private readonly TimeSpan _linger;

    /// <param name="linger">How long the writer waits after the first record of a batch for more to
    /// arrive. Under light load this turns one transaction and one thread-pool wake-up per request
    /// into one per interval; records are durable at most this much later.</param>
    public SqliteUsageLog(SqliteDatabase db, int capacity = 65_536, TimeSpan? linger = null)
    {
        _db = db;
        _linger = linger ?? TimeSpan.FromMilliseconds(5);
        _queue = Channel.CreateBounded<UsageRecord>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Records committed to the database so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    public ValueTask<bool> RecordAsync(UsageRecord record)
    {
        if (_queue.Writer.TryWrite(record))
        {
            return ValueTask.FromResult(true);
        }

        return WaitAndWriteAsync(record);
    }

    private async ValueTask<bool> WaitAndWriteAsync(UsageRecord record)
    {
        try
        {
            await _queue.Writer.WriteAsync(record).ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Waits until every record queued so far is committed.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (_queue.Reader.Count > 0 || Volatile.Read(ref _inBatch))
        {
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
    }

    private bool _inBatch;

    private async Task WriteLoopAsync()
    {
        await using var c = _db.Open();
        using var insert = c.CreateCommand();
        insert.CommandText = """
            INSERT INTO usage(request_id, ts, account_id, key_id, model, provider_id, origin, destination,
                input_tokens, output_tokens, usage_estimated, cost, currency, outcome, status, attempts, stream,
                latency_ms, overhead_us)
            VALUES ($rid, $ts, $acc, $kid, $model, $pid, $origin, $dest, $in, $out, $est, $cost, $cur, $outcome,
                $status, $attempts, $stream, $lat, $ovh)
            """;
        string[] names = ["$rid", "$ts", "$acc", "$kid", "$model", "$pid", "$origin", "$dest", "$in", "$out", "$est", "$cost", "$cur", "$outcome", "$status", "$attempts", "$stream", "$lat", "$ovh"];
        var p = names.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
        var batch = new List<UsageRecord>(MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Volatile.Write(ref _inBatch, true);
            if (_linger > TimeSpan.Zero && reader.Count < MaxBatch)
            {
                await Task.Delay(_linger).ConfigureAwait(false);
            }

            while (batch.Count < MaxBatch && reader.TryRead(out var r))
            {
                batch.Add(r);
            }

            try
            {
                using var tx = c.BeginTransaction();
                insert.Transaction = tx;
                foreach (var r in batch)
                {
                    p[0].Value = r.RequestId;
                    p[1].Value = r.Timestamp.ToString("O", CultureInfo.InvariantCulture);
                    p[2].Value = r.AccountId;
                    p[3].Value = (object?)r.KeyId ?? DBNull.Value;
                    p[4].Value = r.Model;
                    p[5].Value = (object?)r.ProviderId ?? DBNull.Value;
                    p[6].Value = r.OriginJurisdiction;
                    p[7].Value = (object?)r.DestinationJurisdiction ?? DBNull.Value;
                    p[8].Value = r.InputTokens;
                    p[9].Value = r.OutputTokens;
                    p[10].Value = r.UsageEstimated ? 1 : 0;
                    p[11].Value = r.Cost.ToString(CultureInfo.InvariantCulture);
                    p[12].Value = r.Currency;
                    p[13].Value = OutcomeName(r.Outcome);
                    p[14].Value = r.StatusCode;
                    p[15].Value = r.Attempts;
                    p[16].Value = r.Stream ? 1 : 0;
                    p[17].Value = r.LatencyMs;
                    p[18].Value = r.OverheadUs;
                    insert.ExecuteNonQuery();
                }

                tx.Commit();
                Interlocked.Add(ref _written, batch.Count);
            }
            catch (SqliteException)
            {
                // The batch stays in memory and is retried; a full disk must not lose records silently.
                await Task.Delay(500).ConfigureAwait(false);
                continue;
            }
            finally
            {
                Volatile.Write(ref _inBatch, false);
            }

            batch.Clear();
        }
    }

    public static string OutcomeName(Outcome o) => o switch
    {
        Outcome.Completed => "completed",
        Outcome.Rejected => "rejected",
        Outcome.UpstreamFailed => "upstream_failed",
        Outcome.Interrupted => "interrupted",
        Outcome.ClientCancelled => "client_cancelled",
        Outcome.SellerRejected => "seller_rejected",
        _ => o.ToString(),
    };

    /// <summary>The most recent records, newest first, optionally for one account.</summary>
    public IReadOnlyList<UsageRow> Recent(int limit, string? accountId = null)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT request_id, ts, account_id, model, provider_id, origin, destination, input_tokens, output_tokens,
                   usage_estimated, cost, currency, outcome, status, attempts, stream, latency_ms, overhead_us
            FROM usage WHERE ($acc IS NULL OR account_id = $acc) ORDER BY seq DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$acc", (object?)accountId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var rows = new List<UsageRow>();
        while (r.Read())
        {
            rows.Add(new UsageRow(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
                r.GetInt64(7), r.GetInt64(8), r.GetInt64(9) == 1, decimal.Parse(r.GetString(10), CultureInfo.InvariantCulture),
                r.GetString(11), r.GetString(12), (int)r.GetInt64(13), (int)r.GetInt64(14), r.GetInt64(15) == 1,
                r.GetDouble(16), r.GetDouble(17)));
        }

        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
