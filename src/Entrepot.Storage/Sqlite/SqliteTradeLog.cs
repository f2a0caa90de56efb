using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Entrepot.Core.Ledger;
using Entrepot.Core.Metering;
using Entrepot.Core.Trust;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The trade log: usage row (also the customs declaration), receipt and ledger entry of every trade,
/// written by one <see cref="BatchWriter{T}"/> thread in one transaction per batch, so the three never
/// disagree and nothing on the request path waits for the database. When the queue is full, writers
/// wait (back-pressure) rather than drop a record.
/// <para>
/// Receipts: a seller's signed receipt (an exporter node's) is checked and countersigned here, on the
/// writer's thread, and the document stored. An exchange-only receipt (a plain OpenAI-compatible
/// seller) needs no check at write time: its evidence goes into the usage row and the receipt is
/// countersigned when asked for (<see cref="SqliteReceiptStore"/>). Ed25519 signatures are
/// deterministic, so the same row always yields the same document; signing every trade eagerly cost
/// about 100 µs of CPU per trade (docs/PERFORMANCE.md).
/// </para>
/// </summary>
public sealed class SqliteTradeLog : IUsageSink, IAsyncDisposable
{
    public const int MaxBatch = 1024;
    private static readonly string[] ReceiptParameters = ["$rid", "$acc", "$pid", "$kind", "$ver", "$flags", "$doc", "$ts"];

    private readonly SqliteDatabase _db;
    private readonly BatchWriter<UsageRecord> _writer;
    private readonly PreparedInsert _insert;
    private readonly Func<ReceiptEvidence, JsonObject>? _countersign;
    private readonly SqliteLedger? _ledger;
    private readonly ILedgerStore? _external;
    private readonly List<(string, DateTimeOffset, string, IReadOnlyList<Posting>)> _backlog = [];
    private readonly ITradeArchive? _archive;
    private readonly List<ArchivedTrade> _archiveBacklog = [];
    private readonly decimal _feePercent;

    /// <param name="countersign">Checks and countersigns a seller's receipt (null: seller receipts are not kept).</param>
    /// <param name="ledger">Where each delivered trade is billed (buyer, seller and fee postings), once per
    /// receipt: the SQLite ledger in the same transaction as the trade, or another store (PostgreSQL)
    /// right after it commits.</param>
    /// <param name="linger">How often the writer thread collects what has queued; records are
    /// committed at most about this much later.</param>
    /// <param name="archive">The trade history several nodes share (PostgreSQL, with the ledger there
    /// too): every committed trade is copied to it by the same thread that posts the ledger.</param>
    public SqliteTradeLog(SqliteDatabase db, Func<ReceiptEvidence, JsonObject>? countersign = null, ILedgerStore? ledger = null, decimal feePercent = 0,
        int capacity = 65_536, TimeSpan? linger = null, ITradeArchive? archive = null)
    {
        _db = db;
        _countersign = countersign;
        _ledger = ledger as SqliteLedger;
        _external = _ledger is null ? ledger : null;
        _archive = _external is not null ? archive : null;
        _feePercent = feePercent;
        if (_external is not null)
        {
            _poster = Task.Run(PostLoopAsync);
        }

        _insert = new PreparedInsert(db, """
            INSERT INTO usage(request_id, ts, account_id, key_id, model, provider_id, origin, destination,
                input_tokens, output_tokens, usage_estimated, cost, currency, outcome, status, attempts, stream,
                latency_ms, overhead_us, declared, data_class, categories, detected, verdict, rules, redactions, rulebook,
                receipt, request_sha256, response_sha256, counted_input, counted_output, price_input, price_output)
            VALUES ($rid, $ts, $acc, $kid, $model, $pid, $origin, $dest, $in, $out, $est, $cost, $cur, $outcome,
                $status, $attempts, $stream, $lat, $ovh, $decl, $dc, $cat, $det, $v, $r, $red, $rb,
                $rc, $rqh, $rsh, $cin, $cout, $pin, $pout)
            """)
        {
            Failed = () => (ledger as SqliteLedger)?.DropPrepared(),
        };
        _writer = new BatchWriter<UsageRecord>(Write, "entrepot trade writer", capacity, MaxBatch, linger);
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

    /// <summary>Waits until what was queued is committed here and, for a ledger in another store,
    /// posted there too (or found unreachable: then it waits in the backlog).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _writer.FlushAsync(ct).ConfigureAwait(false);
        var deadline = Environment.TickCount64 + 30_000; // the poster's own retries are bounded by the store's timeouts
        while (Volatile.Read(ref _posting) > 0 && !LedgerUnavailable && Environment.TickCount64 < deadline)
        {
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Value of the usage row's receipt column: the document is in the receipts table.</summary>
    public const string ReceiptStored = "stored";

    /// <summary>Value of the usage row's receipt column: an exchange-only receipt, issued from the row on request.</summary>
    public const string ReceiptFromRow = "exchange-only";

    private void Write(List<UsageRecord> batch)
    {
        // A trade rebuilt from a seller's receipt log is posted only if the ledger does not already
        // bill it, nor does this batch (the exchange's own record of it, queued with the copy). This
        // thread is the ledger's only writer, so the check cannot race another post.
        ILedgerStore? ledger = _ledger is not null ? _ledger : _external;
        if (ledger is not null && batch.Exists(r => r.Receipt is { Reconciled: true }))
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var r in batch)
            {
                if (r.Receipt is { Reconciled: false } own)
                {
                    seen.Add(own.RequestId);
                }
            }

            batch.RemoveAll(r => r.Receipt is { Reconciled: true } e && (!seen.Add(e.RequestId) || ledger.Contains(e.RequestId)));
            if (batch.Count == 0)
            {
                return;
            }
        }

        // Sellers' receipts are checked and countersigned before the transaction opens, so it stays short.
        List<(UsageRecord Record, JsonObject Document)>? signed = null;
        foreach (var r in batch)
        {
            if (r.Receipt is { SellerIsExporter: true } e && _countersign is not null)
            {
                (signed ??= []).Add((r, _countersign(e)));
            }
        }

        _insert.Write(batch, (r, p) => Bind(r, p, signed), (c, tx) =>
        {
            if (signed is not null)
            {
                InsertDocuments(c, tx, signed);
            }

            if (_ledger is null)
            {
                return null;
            }

            var pending = _ledger.Append(c, tx, Billable(batch, signed));
            return () => _ledger.Advance(pending);
        });

        if (_external is not null)
        {
            // The trades are committed here; the other store is written by its own thread, so a slow
            // or unreachable PostgreSQL never delays the next commit of answered trades.
            Interlocked.Increment(ref _posting);
            _posts.Writer.TryWrite((Billable(batch, signed).ToList(), _archive is null ? [] : batch.ConvertAll(ArchivedTrade.Of)));
        }
    }

    private readonly System.Threading.Channels.Channel<(List<(string, DateTimeOffset, string, IReadOnlyList<Posting>)> Entries, List<ArchivedTrade> Trades)> _posts =
        System.Threading.Channels.Channel.CreateUnbounded<(List<(string, DateTimeOffset, string, IReadOnlyList<Posting>)>, List<ArchivedTrade>)>(new() { SingleReader = true });

    private Task _poster = Task.CompletedTask;
    private int _posting;

    /// <summary>The ledger poster for another store: takes what the writer committed, appends it, and
    /// while the store is down keeps it and tries again every second.</summary>
    private async Task PostLoopAsync()
    {
        var reader = _posts.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var taken = 0;
            while (reader.TryRead(out var post))
            {
                Take(post);
                taken++;
            }

            try
            {
                PostBacklog();
                while ((_backlog.Count > 0 || _archiveBacklog.Count > 0) && !reader.Completion.IsCompleted)
                {
                    await Task.Delay(1000).ConfigureAwait(false);
                    while (reader.TryRead(out var more))
                    {
                        Take(more);
                        taken++;
                    }

                    PostBacklog();
                }
            }
            catch (Exception e)
            {
                // Never let the poster die: what it holds stays in the backlog for the next round (and
                // for CatchUpLedger at the next start); admission stops meanwhile.
                Volatile.Write(ref _ledgerDown, 1);
                Console.Error.WriteLine($"entrepot: posting to the ledger failed unexpectedly, {_backlog.Count} entries wait: {e}");
                await Task.Delay(1000).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Add(ref _posting, -taken);
            }
        }
    }

    /// <summary>
    /// Appends what the other store has not taken yet. The trades are committed here already, so a
    /// failure (the database is down) keeps them queued for the next batch, and a crash meanwhile is
    /// repaired at start by <see cref="CatchUpLedger"/>: entries are idempotent on the receipt id.
    /// </summary>
    private void PostBacklog()
    {
        try
        {
            if (_backlog.Count > 0)
            {
                _external!.Append(_backlog);
                _backlog.Clear();
            }

            // In chunks, each dropped once written: a long backlog (after an outage) never becomes one
            // statement too large to finish within the command timeout.
            while (_archiveBacklog.Count > 0)
            {
                var n = Math.Min(_archiveBacklog.Count, 5_000);
                _archive!.Append(_archiveBacklog.GetRange(0, n));
                _archiveBacklog.RemoveRange(0, n);
            }

            Volatile.Write(ref _ledgerDown, 0);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            Volatile.Write(ref _ledgerDown, 1);
            Console.Error.WriteLine($"entrepot: the ledger store is unavailable, {_backlog.Count} entries and {_archiveBacklog.Count} trade rows wait: {e.Message}");
        }
    }

    private void Take((List<(string, DateTimeOffset, string, IReadOnlyList<Posting>)> Entries, List<ArchivedTrade> Trades) post)
    {
        _backlog.AddRange(post.Entries);
        _archiveBacklog.AddRange(post.Trades);
    }

    private int _ledgerDown;

    /// <summary>True while the ledger in another store (PostgreSQL) cannot be written: the exchange
    /// then admits no new trade (it could not bill it), and the trades already answered wait here.</summary>
    public bool LedgerUnavailable => Volatile.Read(ref _ledgerDown) == 1;

    public string? Refusal => LedgerUnavailable
        ? "The exchange's ledger store (PostgreSQL) cannot be reached, so no new trade can be billed; requests are refused until it is back. Trades already answered are kept and will be billed."
        : null;

    /// <summary>While the ledger store is down, asks it whether it is back (one cheap query); the
    /// waiting entries go with the next batch.</summary>
    public void ProbeLedger()
    {
        if (_external is null || !LedgerUnavailable)
        {
            return;
        }

        try
        {
            _ = _external.LastEntryTime();
            _ = _archive?.LastTradeTime(); // the shared history too: admission resumes when both answer
            Volatile.Write(ref _ledgerDown, 0);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            // Still down.
        }
    }

    /// <summary>
    /// For a ledger in another store: bills every receipted trade of the usage log that the ledger
    /// lacks, rebuilding each entry from the trade's row and receipt exactly as the writer does, and
    /// copies to the shared history every trade it lacks. Both look back from the earlier of the
    /// store's newest entry and this node's own newest trade, less <paramref name="margin"/>: other
    /// nodes may have written long after this one stopped, but what this one had not posted yet is
    /// never much older than its own last trade. From there on it takes rows by insertion order, so a
    /// trade rebuilt from a seller's receipt log (stamped with the seller's older time) and inserted
    /// since is included too. Returns how many entries were added to the ledger.
    /// </summary>
    public int CatchUpLedger(TimeSpan margin)
    {
        if (_external is null)
        {
            return 0;
        }

        var newestHere = NewestTrade();
        if (newestHere is null)
        {
            return 0;
        }

        var since = Earlier(_external.LastEntryTime(), newestHere.Value) - margin;
        var entries = new List<(string, DateTimeOffset, string, IReadOnlyList<Posting>)>();
        using (var c = _db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = """
                SELECT u.request_id, u.ts, u.account_id, u.provider_id, u.receipt, u.input_tokens, u.output_tokens, u.price_input, u.price_output, u.currency, r.document
                FROM usage u LEFT JOIN receipts r ON r.request_id = u.request_id
                WHERE u.receipt IS NOT NULL AND u.seq >= (SELECT MIN(seq) FROM usage WHERE ts >= $since) ORDER BY u.seq
                """;
            cmd.Parameters.AddWithValue("$since", since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var ts = DateTimeOffset.Parse(r.GetString(1), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
                decimal cost;
                var currency = r.GetString(9);
                if (!r.IsDBNull(10) && JsonNode.Parse(r.GetString(10))?["receipt"] is JsonObject body)
                {
                    cost = decimal.Parse((string?)body["cost"] ?? "0", NumberStyles.Number, CultureInfo.InvariantCulture);
                    currency = (string?)body["price"]?["currency"] ?? currency;
                }
                else
                {
                    cost = Receipts.Cost(r.GetInt64(5), r.GetInt64(6), decimal.Parse(r.GetString(7), CultureInfo.InvariantCulture), decimal.Parse(r.GetString(8), CultureInfo.InvariantCulture));
                }

                entries.Add((r.GetString(0), ts, currency, LedgerEntry.ForTrade(r.GetString(2), r.GetString(3), cost, _feePercent)));
            }
        }

        if (_archive is not null)
        {
            foreach (var chunk in TradesSince(Earlier(_archive.LastTradeTime(), newestHere.Value) - margin).Chunk(5_000))
            {
                _archive.Append(chunk);
            }
        }

        return entries.Count == 0 ? 0 : _external.Append(entries);
    }

    private static DateTimeOffset Earlier(DateTimeOffset? stored, DateTimeOffset here) => stored is { } s && s < here ? s : here;

    private DateTimeOffset? NewestTrade()
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT ts FROM usage ORDER BY seq DESC LIMIT 1";
        return cmd.ExecuteScalar() is string ts ? DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
    }

    /// <summary>This node's trades since a time, as the shared history keeps them.</summary>
    private List<ArchivedTrade> TradesSince(DateTimeOffset since)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {ArchivedTradeRows.Columns}
            FROM usage WHERE seq >= (SELECT MIN(seq) FROM usage WHERE ts >= $since) ORDER BY seq
            """;
        cmd.Parameters.AddWithValue("$since", since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        using var r = cmd.ExecuteReader();
        var trades = new List<ArchivedTrade>();
        while (r.Read())
        {
            trades.Add(SqliteTradeHistory.ReadTrade(r));
        }

        return trades;
    }

    private static void Bind(UsageRecord r, RawStatement p, List<(UsageRecord Record, JsonObject Document)>? signed)
    {
        Span<char> buffer = stackalloc char[64];
        p.Text(0, r.RequestId);
        p.Text(1, r.Timestamp.TryFormat(buffer, out int n, "O", CultureInfo.InvariantCulture) ? buffer[..n] : r.Timestamp.ToString("O", CultureInfo.InvariantCulture));
        p.Text(2, r.AccountId);
        p.Text(3, r.KeyId);
        p.Text(4, r.Model);
        p.Text(5, r.ProviderId);
        p.Text(6, r.OriginJurisdiction);
        p.Text(7, r.DestinationJurisdiction);
        p.Int(8, r.InputTokens);
        p.Int(9, r.OutputTokens);
        p.Int(10, r.UsageEstimated ? 1 : 0);
        Decimal(p, 11, r.Cost, buffer);
        p.Text(12, r.Currency);
        p.Text(13, OutcomeName(r.Outcome));
        p.Int(14, r.StatusCode);
        p.Int(15, r.Attempts);
        p.Int(16, r.Stream ? 1 : 0);
        p.Real(17, r.LatencyMs);
        p.Real(18, r.OverheadUs);
        var b = r.Border;
        p.Int(19, b is null ? 0 : 1);
        p.Text(20, b?.DataClass ?? "public");
        p.Text(21, b?.Categories ?? "");
        p.Text(22, b?.Detected ?? "");
        p.Text(23, b?.Verdict ?? "allow");
        p.Text(24, b?.Rules ?? "");
        p.Int(25, b?.Redactions ?? 0);
        p.Text(26, b?.RuleBook ?? "");
        if (r.Receipt is not { } e)
        {
            for (int i = 27; i <= 33; i++)
            {
                p.Null(i);
            }

            return;
        }

        p.Text(27, e.SellerIsExporter && signed is not null ? ReceiptStored : ReceiptFromRow);
        p.Text(28, e.RequestSha256);
        p.Text(29, e.ResponseSha256);
        p.Int(30, e.CountedInput);
        p.Int(31, e.CountedOutput);
        Decimal(p, 32, e.InputPrice, buffer);
        Decimal(p, 33, e.OutputPrice, buffer);
    }

    private static void Decimal(RawStatement p, int i, decimal d, Span<char> buffer)
    {
        if (d.TryFormat(buffer, out int n, default, CultureInfo.InvariantCulture))
        {
            p.Text(i, buffer[..n]);
        }
        else
        {
            p.Text(i, d.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void InsertDocuments(SqliteConnection c, SqliteTransaction tx, List<(UsageRecord Record, JsonObject Document)> signed)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO receipts(request_id, account_id, provider_id, kind, verified, flags, document, created_at)
            VALUES ($rid, $acc, $pid, $kind, $ver, $flags, $doc, $ts)
            ON CONFLICT(request_id) DO NOTHING
            """;
        var p = ReceiptParameters.Select(n => cmd.Parameters.Add(n, SqliteType.Text)).ToArray();
        foreach (var (r, doc) in signed)
        {
            var check = doc["check"]!;
            p[0].Value = r.RequestId;
            p[1].Value = r.AccountId;
            p[2].Value = r.Receipt!.SellerId;
            p[3].Value = (string?)doc["receipt"]!["kind"] ?? "";
            p[4].Value = (bool?)check["seller_signature_verified"] == true ? 1 : 0;
            p[5].Value = string.Join(",", (check["flags"] as JsonArray ?? []).Select(f => (string?)f));
            p[6].Value = Encoding.UTF8.GetString(CanonicalJson.Serialize(doc));
            p[7].Value = r.Timestamp.ToString("O", CultureInfo.InvariantCulture);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>The ledger entries of a batch: what each receipt says was delivered, at its price (a
    /// verified seller receipt's cost is the one the seller signed), plus the exchange's fee.</summary>
    private IEnumerable<(string, DateTimeOffset, string, IReadOnlyList<Posting>)> Billable(List<UsageRecord> batch, List<(UsageRecord Record, JsonObject Document)>? signed)
    {
        int s = 0;
        foreach (var r in batch)
        {
            if (r.Receipt is not { } e)
            {
                continue;
            }

            decimal cost;
            string currency;
            if (signed is not null && s < signed.Count && ReferenceEquals(signed[s].Record, r))
            {
                var body = signed[s++].Document["receipt"]!;
                cost = decimal.Parse((string?)body["cost"] ?? "0", NumberStyles.Number, CultureInfo.InvariantCulture);
                currency = (string?)body["price"]?["currency"] ?? e.Currency;
            }
            else
            {
                cost = Receipts.Cost(e.InputTokens, e.OutputTokens, e.InputPrice, e.OutputPrice);
                currency = e.Currency;
            }

            yield return (e.RequestId, e.Finished, currency, LedgerEntry.ForTrade(e.Buyer, e.SellerId, cost, _feePercent));
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
        Outcome.Refused => "refused",
        Outcome.Reconciled => "reconciled",
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

    private int _disposed;

    /// <summary>Flushes and closes; safe to call more than once (the container disposes it under two service types).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _writer.DisposeAsync().ConfigureAwait(false);
        _ledger?.DropPrepared();
        _posts.Writer.TryComplete();
        await _poster.ConfigureAwait(false);
        if (_external is not null && (_backlog.Count > 0 || _archiveBacklog.Count > 0))
        {
            PostBacklog(); // one last try; what still fails is billed at the next start (CatchUpLedger)
        }

        _insert.Dispose();
        _ledger?.Dispose();
        _external?.Dispose();
    }
}
