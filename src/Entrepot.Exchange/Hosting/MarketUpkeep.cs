using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Hosting;

/// <summary>Every second: nodes that stopped heartbeating leave the market; every five: the price
/// index takes in the trades recorded since. (The ledger is re-verified only when the dashboard
/// asks: a full verification of a large ledger is seconds of CPU.)</summary>
internal sealed partial class MarketUpkeep(Marketplace market, Storage.IPriceIndex index, TimeProvider time, ILogger<MarketUpkeep> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var (id, why) in market.Unusable)
        {
            LogUnusable(log, id, why);
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        var tick = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    foreach (var gone in market.Offers.Expire())
                    {
                        LogLeft(log, gone);
                    }

                    if (++tick % 5 == 0)
                    {
                        index.Update();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A store briefly unavailable must not end the upkeep: the next tick tries again.
                    LogFailed(log, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Seller {Provider}, added through the admin API, is left out of the market: {Reason}")]
    private static partial void LogUnusable(ILogger logger, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Exporter node {Node} stopped heartbeating and has left the market.")]
    private static partial void LogLeft(ILogger logger, string node);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Market upkeep failed, retrying next tick: {Error}")]
    private static partial void LogFailed(ILogger logger, string error);
}
