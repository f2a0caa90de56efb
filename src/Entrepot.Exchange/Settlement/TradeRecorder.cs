using Entrepot.Core.Metering;
using Entrepot.Storage;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Settlement;

/// <summary>
/// Records every request off the request path: one writer thread settles each trade (the exchange's
/// own count, the quote, the seller's receipt: <see cref="Settlement"/>), charges the budget hold the
/// billed amount, and commits the batch (usage rows, receipts, flag counts and, with the ledger in the
/// same file, the ledger entries) in one transaction. With the ledger elsewhere the committed posts go
/// to the <see cref="LedgerPoster"/>. A trade that cannot be written after its tries is set aside in
/// the dead-letter table and never holds up the ones behind it; a stop drains within its bound.
/// </summary>
public sealed partial class TradeRecorder : IUsageSink, IHostedService, IAsyncDisposable
{
    /// <summary>Trades a batch commits at most.</summary>
    public const int MaxBatch = 1024;

    /// <summary>
    /// Trades waiting for the writer at most; beyond, requests wait for room. Each holds its prompt
    /// texts and receipt (about 6 KB), so the queue's bound is the exchange's memory when sellers'
    /// receipts arrive faster than they can be checked (each is an Ed25519 verification and
    /// countersignature): with 65,536 the exchange in front of an exporter node peaked at 490 MB.
    /// Room for a second of the busiest load measured, enough to ride out a slow commit.
    /// </summary>
    public const int DefaultCapacity = 8_192;

    private readonly SqliteTradeStore _store;
    private readonly SqliteDeadLetters _deadLetters;
    private readonly Core.Metering.Settlement _settlement;
    private readonly ILedgerStore _ledger;
    private readonly LedgerPoster? _poster;
    private readonly LedgerAvailability _availability;
    private readonly SellerDisputes _disputes;
    private readonly Core.Market.ExchangeRates? _rates;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly BatchWriter<PendingTrade> _writer;
    private readonly string _spillFile;
    private readonly TimeSpan _stopWithin;

    public TradeRecorder(SqliteTradeStore store, SqliteDeadLetters deadLetters, Core.Metering.Settlement settlement, ILedgerStore ledger,
        LedgerPoster? poster, LedgerAvailability availability, SellerDisputes disputes, Core.Market.ExchangeRates? rates, TimeProvider time,
        ILogger<TradeRecorder> log, string dataDir, int capacity = DefaultCapacity, TimeSpan? linger = null, TimeSpan? stopWithin = null)
    {
        _store = store;
        _deadLetters = deadLetters;
        _settlement = settlement;
        _ledger = ledger;
        _poster = poster;
        _availability = availability;
        _disputes = disputes;
        _rates = rates;
        _time = time;
        _log = log;
        _spillFile = Path.Combine(dataDir, "dead-letters.jsonl");
        _stopWithin = stopWithin ?? BatchWriter<PendingTrade>.DefaultStopWithin;
        disputes.Load(store.SellerFlags());
        ImportSpilled();
        // The ledger in this file is sealed by this thread, the only one that appends to it.
        Action? idle = poster is null ? () => ledger.SealIfDue(time.GetUtcNow()) : null;
        _writer = new BatchWriter<PendingTrade>(Write, "entrepot trade writer", capacity, MaxBatch, linger,
            deadLetter: DeadLetter, abandon: Spill, idle: idle);
    }

    /// <summary>Trades committed so far.</summary>
    public long Written => _writer.Written;

    /// <summary>Trades set aside in the dead-letter table by this process.</summary>
    public long DeadLettered => _writer.DeadLettered;

    public string? Refusal => _availability.Refusal;

    public ValueTask<bool> RecordAsync(UsageRecord record)
    {
        var pending = _writer.EnqueueAsync(new PendingTrade(record, null, 0));
        return pending.IsCompletedSuccessfully ? ValueTask.FromResult(true) : Wait(pending);
    }

    private static async ValueTask<bool> Wait(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
            return true;
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return false;
        }
    }

    /// <summary>Waits until what was queued is committed here and, for a ledger in another store,
    /// posted there too (or found unreachable: then it waits in the poster's backlog).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        await _writer.FlushAsync(ct).ConfigureAwait(false);
        if (_poster is not null)
        {
            await _poster.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Puts a dead letter back through the writer: it is deleted in the transaction that
    /// writes it, or set aside again (a new row) if it still fails. False when there is no such row.</summary>
    public async Task<bool> ReplayAsync(long id)
    {
        if (_deadLetters.Find(id) is not { } letter || SettledTradeJson.Read(letter.Record) is not { } trade)
        {
            return false;
        }

        await _writer.EnqueueAsync(new PendingTrade(null, trade, id)).ConfigureAwait(false);
        return true;
    }

    private void Write(List<PendingTrade> batch)
    {
        DropRebuiltCopies(batch);
        if (batch.Count == 0)
        {
            return;
        }

        var trades = new List<SettledTrade>(batch.Count);
        List<long>? replayed = null;
        for (int i = 0; i < batch.Count; i++)
        {
            var p = batch[i];
            // Settled once: a batch tried again keeps its settlement (and its hold's charge).
            p.Settled ??= Settle(p.Record!);
            WriterPace.Between();

            trades.Add(p.Settled!);
            if (p.DeadLetterId != 0)
            {
                (replayed ??= []).Add(p.DeadLetterId);
            }
        }

        _store.Commit(trades, replayed);
        foreach (var t in trades)
        {
            _disputes.Add(t);
        }

        _poster?.Take(trades);
    }

    private SettledTrade Settle(UsageRecord r)
    {
        SettledTrade settled;
        try
        {
            settled = _settlement.Settle(r);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A defect, not a seller: the trade is kept (unbilled, flagged) rather than blocking the log.
            LogSettlementFailed(_log, r.RequestId, e.Message);
            settled = _settlement.Settle(r with { Receipt = null }) with { Flags = "settlement_failed" };
        }

        if (r.Hold is { } hold)
        {
            var charged = settled.Post?.BuyerDebit ?? 0m;
            hold.Settle(charged == 0 || r.HoldCurrency is null || r.HoldCurrency == settled.Currency ? charged : Convert(charged, settled.Currency, r.HoldCurrency));
        }

        return settled;
    }

    /// <summary>An amount in the hold's currency, rounded up (a hold never charges less than billed).</summary>
    private decimal Convert(decimal amount, string from, string to) =>
        _rates is not null && _rates.TryConvert(amount, from, to, out var converted) ? converted : amount;

    /// <summary>
    /// A trade rebuilt from a seller's receipt log is kept only when the exchange never recorded that
    /// request itself: not in this batch, not in its log (any outcome: a failed attempt is never billed
    /// from a log), and not in the ledger; and once per request id. This thread is the only writer of
    /// the log and the ledger here, so the checks cannot race another post.
    /// </summary>
    private void DropRebuiltCopies(List<PendingTrade> batch)
    {
        if (!batch.Exists(p => p.Record?.Receipt is { Reconciled: true }))
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in batch)
        {
            if (p.Record?.Receipt is not { Reconciled: true } && (p.Record?.RequestId ?? p.Settled?.RequestId) is { } own)
            {
                seen.Add(own);
            }
        }

        batch.RemoveAll(p => p.Record is { Receipt.Reconciled: true } r &&
            (!seen.Add(r.RequestId) || _store.Knows(r.RequestId) || _ledger.Contains(r.RequestId)));
    }

    private bool DeadLetter(PendingTrade p, Exception error)
    {
        var trade = p.Settled ??= Settle(p.Record!);
        if (p.DeadLetterId != 0)
        {
            return true; // replayed and failed again: its row is still there, untouched by the failed transaction
        }

        _deadLetters.Add(trade.RequestId, SettledTradeJson.Write(trade), error.Message, BatchWriter<PendingTrade>.BatchTries + 1);
        LogDeadLettered(_log, trade.RequestId, error.Message);
        return true;
    }

    /// <summary>What a stop could not write in time: into the dead-letter table, else a file beside
    /// the database (one JSON trade a line), so an operator can still replay it.</summary>
    private void Spill(IReadOnlyList<PendingTrade> left)
    {
        foreach (var p in left)
        {
            var trade = p.Settled ??= Settle(p.Record!);
            if (p.DeadLetterId != 0)
            {
                continue;
            }

            var json = SettledTradeJson.Write(trade);
            try
            {
                _deadLetters.Add(trade.RequestId, json, "not written before the exchange stopped", 0);
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidOperationException)
            {
                File.AppendAllText(_spillFile, json + "\n");
            }
        }
    }

    /// <summary>Trades an earlier stop could only write to the spill file go into the dead-letter
    /// table, where they are listed and can be replayed; the file is kept, renamed.</summary>
    private void ImportSpilled()
    {
        if (!File.Exists(_spillFile))
        {
            return;
        }

        var imported = 0;
        try
        {
            foreach (var line in File.ReadLines(_spillFile))
            {
                if (SettledTradeJson.Read(line) is { } trade)
                {
                    _deadLetters.Add(trade.RequestId, line, "not written before the exchange stopped (from dead-letters.jsonl)", 0);
                    imported++;
                }
            }

            File.Move(_spillFile, _spillFile + "." + _time.GetUtcNow().ToUnixTimeSeconds() + ".imported");
            LogImported(_log, imported);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // Still cannot be written: the file stays for the next start (rows already taken would be
            // listed twice; a replay bills a trade once all the same, by its request id).
            LogImportFailed(_log, e.Message);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Drains the queue within its bound (the hosted-service stop, after the server stopped
    /// taking requests and before the ledger poster stops).</summary>
    public async Task StopAsync(CancellationToken cancellationToken) => await _writer.StopAsync(_stopWithin).ConfigureAwait(false);

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _writer.StopAsync(_stopWithin).ConfigureAwait(false);
        _store.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The trades in dead-letters.jsonl could not be put in the dead-letter table: {Error}")]
    private static partial void LogImportFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} trades the last stop could not write were put in the dead-letter table (GET /admin/dead-letters)")]
    private static partial void LogImported(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trade {RequestId}: settlement failed ({Error}); recorded unbilled, flagged settlement_failed")]
    private static partial void LogSettlementFailed(ILogger logger, string requestId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Trade {RequestId} could not be written and was set aside (GET /admin/dead-letters): {Error}")]
    private static partial void LogDeadLettered(ILogger logger, string requestId, string error);
}

/// <summary>A trade waiting for the writer: as the relay recorded it, settled once (kept across
/// retries), or already settled (a replayed dead letter, with its row's id).</summary>
internal sealed class PendingTrade(UsageRecord? record, SettledTrade? settled, long deadLetterId)
{
    public UsageRecord? Record { get; } = record;
    public SettledTrade? Settled { get; set; } = settled;
    public long DeadLetterId { get; } = deadLetterId;
}
