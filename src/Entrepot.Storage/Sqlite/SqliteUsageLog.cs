using System.Globalization;
using System.Threading.Channels;
using Entrepot.Core.Metering;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The usage log. Requests hand records to a <see cref="BatchWriter{T}"/> and go on; its thread
/// commits each batch in a single transaction with a prepared statement. When the queue is full,
/// writers wait (back-pressure) rather than drop a record.
/// </summary>
public sealed class SqliteUsageLog : IUsageSink, IAsyncDisposable
{
    public const int MaxBatch = 1024;

    private readonly SqliteDatabase _db;
    private readonly BatchWriter<UsageRecord> _writer;

    /// <param name="linger">How often the writer thread collects what has queued; records are
    /// committed at most about this much later.</param>
    public SqliteUsageLog(SqliteDatabase db, int capacity = 65_536, TimeSpan? linger = null)
    {
        _db = db;
        _insert = new PreparedInsert(db, """
            INSERT INTO usage(request_id, ts, account_id, key_id, model, provider_id, origin, destination,
                input_tokens, output_tokens, usage_estimated, cost, currency, outcome, status, attempts, stream,
                latency_ms, overhead_us, declared, data_class, categories, detected, verdict, rules, redactions, rulebook)
            VALUES ($rid, $ts, $acc, $kid, $model, $pid, $origin, $dest, $in, $out, $est, $cost, $cur, $outcome,
                $status, $attempts, $stream, $lat, $ovh, $decl, $dc, $cat, $det, $v, $r, $red, $rb)
            """, "$rid", "$ts", "$acc", "$kid", "$model", "$pid", "$origin", "$dest", "$in", "$out", "$est", "$cost", "$cur", "$outcome", "$status", "$attempts", "$stream", "$lat", "$ovh",
            "$decl", "$dc", "$cat", "$det", "$v", "$r", "$red", "$rb");
        _writer = new BatchWriter<UsageRecord>(Write, "entrepot usage writer", capacity, MaxBatch, linger);
    }

    /// <summary>Records committed to the database so far.</summary>
    public long Written => _writer.Written;

    public ValueTask<bool> RecordAsync(UsageRecord record)
    {
        var pending = _writer.EnqueueAsync(record);
        return pending.IsCompletedSuccessfully ? ValueTask.FromResult(true) : Wait(pending);
    }

    private static async ValueTask<bool> Wait(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Waits until every record queued so far is committed.</summary>
    public Task FlushAsync(CancellationToken ct = default) => _writer.FlushAsync(ct);

    private readonly PreparedInsert _insert;

    private void Write(List<UsageRecord> batch) => _insert.Write(batch, static (r, p) =>
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
        var b = r.Border;
        p[19].Value = b is null ? 0 : 1;
        p[20].Value = b?.DataClass ?? "public";
        p[21].Value = b?.Categories ?? "";
        p[22].Value = b?.Detected ?? "";
        p[23].Value = b?.Verdict ?? "allow";
        p[24].Value = b?.Rules ?? "";
        p[25].Value = b?.Redactions ?? 0;
        p[26].Value = b?.RuleBook ?? "";
    });

    public static string OutcomeName(Outcome o) => o switch
    {
        Outcome.Completed => "completed",
        Outcome.Rejected => "rejected",
        Outcome.UpstreamFailed => "upstream_failed",
        Outcome.Interrupted => "interrupted",
        Outcome.ClientCancelled => "client_cancelled",
        Outcome.SellerRejected => "seller_rejected",
        Outcome.Refused => "refused",
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
        await _writer.DisposeAsync().ConfigureAwait(false);
        _insert.Dispose();
    }
}
