using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Border;

/// <summary>
/// Forgets the data subjects no threshold period can reach any more (last sent before the start of
/// the longest period), at start and every hour, in memory and in storage: the counts stay exact
/// while what is kept stays as large as one period's traffic, however long the exchange runs.
/// </summary>
internal sealed partial class SubjectPruning(ISubjectCounter subjects, TimeProvider time, ILogger<SubjectPruning> log) : BackgroundService
{
    public static readonly TimeSpan Every = TimeSpan.FromHours(1);

    private long _pruned;

    /// <summary>Subjects forgotten since the exchange started.</summary>
    public long Pruned => Interlocked.Read(ref _pruned);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield(); // never on the start path: the first prune may walk a large table
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            do
            {
                PruneNow();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Prunes up to <see cref="ThresholdPeriods.Horizon"/>; returns how many were forgotten.</summary>
    public long PruneNow()
    {
        var horizon = ThresholdPeriods.Horizon(time.GetUtcNow());
        try
        {
            var n = subjects.Prune(horizon);
            Interlocked.Add(ref _pruned, n);
            if (n > 0)
            {
                LogPruned(log, n, horizon);
            }

            return n;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Storage busy or down: nothing is lost by pruning later.
            LogPruneFailed(log, e.Message);
            return 0;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot {Count} data subjects last sent before {Horizon:u}, which no threshold period reaches")]
    private static partial void LogPruned(ILogger logger, long count, DateTimeOffset horizon);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning data subjects failed, tried again within the hour: {Error}")]
    private static partial void LogPruneFailed(ILogger logger, string error);
}
