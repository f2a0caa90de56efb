using System.Collections.Concurrent;
using Entrepot.Core.Ledger;
using Entrepot.Core.Metering;
using Entrepot.Storage;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Settlement;

/// <summary>
/// Posts committed trades to a ledger in another store (PostgreSQL) and copies them to the history
/// the nodes of a cluster share, on its own task, so a slow or unreachable database never delays the
/// commit of answered trades. While the store cannot be written, what waits is kept and tried again
/// every second, and <see cref="LedgerAvailability"/> stops admission; at start it catches up on what
/// a crash left unposted (from this node's trade log, entries being idempotent on the receipt id);
/// every second it seals the chain when a checkpoint is due.
/// </summary>
public sealed partial class LedgerPoster(ILedgerStore ledger, ITradeArchive? archive, SqliteTradeStore store, LedgerAvailability availability,
    decimal feePercent, TimeProvider time, ILogger<LedgerPoster> log) : BackgroundService
{
    private readonly ConcurrentQueue<(List<LedgerPost> Posts, List<ArchivedTrade> Trades)> _queue = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly List<LedgerPost> _backlog = [];
    private readonly List<ArchivedTrade> _archiveBacklog = [];
    private int _posting;

    /// <summary>Takes what the trade recorder committed (called on its thread; never waits).</summary>
    public void Take(IReadOnlyList<SettledTrade> trades)
    {
        var posts = new List<LedgerPost>(trades.Count);
        foreach (var t in trades)
        {
            if (t.Post is { } p)
            {
                posts.Add(p);
            }
        }

        Interlocked.Increment(ref _posting);
        _queue.Enqueue((posts, archive is null ? [] : trades.Select(ArchivedTrade.Of).ToList()));
        _signal.Release();
    }

    /// <summary>Waits until everything taken so far is posted, or the store is found down (then it
    /// waits in the backlog), at most 30 s.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (Volatile.Read(ref _posting) > 0 && !availability.Down && Environment.TickCount64 < deadline)
        {
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var added = CatchUp(TimeSpan.FromMinutes(10));
            if (added > 0)
            {
                LogCaughtUp(log, added);
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            // Not reachable at start: admission waits until it is; the catch-up is tried again then.
            availability.MarkDown();
            _catchUpPending = true;
            LogUnavailable(log, 0, 0, e.Message);
        }

        return base.StartAsync(cancellationToken);
    }

    private bool _catchUpPending;

    /// <summary>
    /// Bills every trade of this node's log that the ledger lacks, rebuilding each entry from the
    /// settled row exactly as it was posted, and copies to the shared history every trade it lacks.
    /// Both look back from the earlier of the store's newest entry and this node's own newest trade,
    /// less <paramref name="margin"/>: other nodes may have written long after this one stopped, but
    /// what this one had not posted yet is never much older than its own last trade. Returns how many
    /// entries were added.
    /// </summary>
    public int CatchUp(TimeSpan margin)
    {
        if (store.NewestTrade() is not { } newestHere)
        {
            return 0;
        }

        var posts = store.PostsSince(Earlier(ledger.LastEntryTime(), newestHere) - margin, feePercent);
        if (archive is not null)
        {
            foreach (var chunk in store.TradesSince(Earlier(archive.LastTradeTime(), newestHere) - margin).Chunk(5_000))
            {
                archive.Append(chunk);
            }
        }

        return posts.Count == 0 ? 0 : ledger.Append(posts);
    }

    private static DateTimeOffset Earlier(DateTimeOffset? stored, DateTimeOffset here) => stored is { } s && s < here ? s : here;

    /// <summary>
    /// Rounds start at most this often: each is a transaction under the ledger's lock in PostgreSQL,
    /// whose fixed cost, paid per trade-writer batch (every 5 ms), made two busy nodes spend 4.5
    /// times the database CPU per trade of one (`bench/cluster.sh`, docs/PERFORMANCE.md).
    /// </summary>
    private const int GatherMs = 25;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastSeal = Environment.TickCount64;
        var lastRound = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(false);
                var since = Environment.TickCount64 - lastRound;
                if (since < GatherMs)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(GatherMs - since), stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }

            lastRound = Environment.TickCount64;
            Round(ref lastSeal);
        }
    }

    private void Round(ref long lastSeal)
    {
        var taken = 0;
        while (_queue.TryDequeue(out var item))
        {
            _backlog.AddRange(item.Posts);
            _archiveBacklog.AddRange(item.Trades);
            taken++;
        }

        try
        {
            if (_catchUpPending)
            {
                CatchUp(TimeSpan.FromMinutes(10));
                _catchUpPending = false;
            }

            Post();
            if (Environment.TickCount64 - lastSeal >= 1000)
            {
                lastSeal = Environment.TickCount64;
                ledger.SealIfDue(time.GetUtcNow());
            }

            if (availability.Down)
            {
                // Nothing waits: ask both stores once (the history too: admission resumes when both answer).
                _ = ledger.LastEntryTime();
                _ = archive?.LastTradeTime();
                availability.MarkUp();
            }
        }
        catch (Exception e) when (IsStoreFailure(e))
        {
            if (!availability.Down)
            {
                LogUnavailable(log, _backlog.Count, _archiveBacklog.Count, e.Message);
            }

            availability.MarkDown();
        }
        catch (Exception e)
        {
            // Never let the poster die: what it holds stays for the next round (and for the catch-up
            // at the next start); admission stops meanwhile.
            availability.MarkDown();
            LogFailed(log, _backlog.Count, e.ToString());
        }
        finally
        {
            Interlocked.Add(ref _posting, -taken);
        }
    }

    /// <summary>Appends what the ledger has not taken yet, then the history rows in chunks (each
    /// dropped once written, so a long backlog after an outage never becomes one statement too large).</summary>
    private void Post()
    {
        if (_backlog.Count > 0)
        {
            ledger.Append(_backlog);
            _backlog.Clear();
        }

        while (_archiveBacklog.Count > 0)
        {
            var n = Math.Min(_archiveBacklog.Count, 5_000);
            archive!.Append(_archiveBacklog.GetRange(0, n));
            _archiveBacklog.RemoveRange(0, n);
        }
    }

    private static bool IsStoreFailure(Exception e) => e is Npgsql.NpgsqlException or IOException or TimeoutException or InvalidOperationException;

    /// <summary>After the trade recorder stopped: one last round (bounded by the store's timeouts);
    /// what still fails is billed at the next start (<see cref="CatchUp"/>).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await base.StopAsync(bounded.Token).ConfigureAwait(false);
        var lastSeal = Environment.TickCount64;
        Round(ref lastSeal);
        if (_backlog.Count > 0)
        {
            LogLeft(log, _backlog.Count);
        }
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ledger catch-up: {Added} trades of this node's log billed that the ledger lacked")]
    private static partial void LogCaughtUp(ILogger logger, int added);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ledger store is unavailable, {Entries} entries and {Trades} trade rows wait; new trades are refused until it is back: {Error}")]
    private static partial void LogUnavailable(ILogger logger, int entries, int trades, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Posting to the ledger failed unexpectedly, {Entries} entries wait: {Error}")]
    private static partial void LogFailed(ILogger logger, int entries, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped with {Entries} ledger entries not posted; they are billed at the next start")]
    private static partial void LogLeft(ILogger logger, int entries);
}
