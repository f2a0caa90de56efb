using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Settlement;

/// <summary>
/// Reconciles with the exporter nodes at start, taking every receipt issued before this process
/// started as settled (nothing it forwarded can still be in flight), then every five minutes,
/// taking only receipts older than a minute (younger ones may still be on their way into the trade
/// log). A pass that could not read some node (busy, unreachable) is tried again after ten
/// seconds rather than five minutes, so what a killed process answered is billed soon after
/// its restart. A pass that stopped at its bound with more receipts waiting is followed by the next
/// after a pause as long as it took (a second at least): a backlog is read at about half of a core
/// at most, in bounded pieces, instead of in one pass holding all of it.
/// </summary>
internal sealed partial class ReconciliationLoop(Reconciler reconciler, TimeProvider time, ILogger<ReconciliationLoop> log) : BackgroundService
{
    private DateTimeOffset _started;
    private readonly TaskCompletionSource<Task> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The first reconciliation after a start: done (or failed) once this completes.</summary>
    public Task FirstPass => _first.Task.Unwrap();

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Taken before serving (hosted services start before the server listens): every receipt
        // issued before it belongs to an earlier process.
        _started = time.GetUtcNow();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var caughtUp = false;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var pause = TimeSpan.FromSeconds(10);
                try
                {
                    var began = time.GetTimestamp();
                    var pass = reconciler.RunAsync(caughtUp ? Reconciler.DefaultSettle : time.GetUtcNow() - _started, stoppingToken);
                    _first.TrySetResult(pass);
                    var report = await pass.ConfigureAwait(false);
                    if (report.More)
                    {
                        // Still reading what was issued before this process started: the same settle time.
                        var took = time.GetElapsedTime(began);
                        pause = took > TimeSpan.FromSeconds(1) ? took : TimeSpan.FromSeconds(1);
                    }
                    else if (report.Nodes.All(n => n.Error is null))
                    {
                        caughtUp = true;
                        pause = TimeSpan.FromMinutes(5);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store or node that failed in an unforeseen way must not end reconciliation for good:
                    // the same pass is tried again shortly.
                    LogFailed(log, pause.TotalSeconds, e.Message);
                }

                await Task.Delay(pause, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            _first.TrySetResult(Task.CompletedTask);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation failed, trying again in {Seconds} s: {Error}")]
    private static partial void LogFailed(ILogger logger, double seconds, string error);
}
