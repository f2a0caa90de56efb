using Entrepot.Core.Metering;
using Entrepot.Storage;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Settlement;

/// <summary>What settlement is made of on one exchange node.</summary>
/// <param name="Archive">The history a cluster's nodes share (PostgreSQL), when there is one.</param>
public sealed record SettlementSetup(
    SqliteDatabase Database,
    ILedgerStore Ledger,
    ITradeArchive? Archive,
    Core.Trust.SigningKey Key,
    string ExchangeId,
    decimal FeePercent,
    Core.Market.ExchangeRates? Rates,
    TokenCounters Counters,
    string DataDir,
    TimeProvider Time);

public static class SettlementServices
{
    /// <summary>
    /// The trade recorder (the request path's <see cref="IUsageSink"/>), the ledger poster when the
    /// ledger is in another store, the availability signal, the dispute counts and the receipts. Both
    /// workers are hosted services, registered so that the recorder stops (drains) before the poster.
    /// </summary>
    public static IServiceCollection AddSettlement(this IServiceCollection s, SettlementSetup setup)
    {
        var store = new SqliteTradeStore(setup.Database, setup.Ledger as SqliteLedger);
        s.AddSingleton(store);
        s.AddSingleton<LedgerAvailability>();
        s.AddSingleton<SellerDisputes>();
        s.AddSingleton(sp => new SqliteDeadLetters(setup.Database, setup.Time));
        s.AddSingleton(new Core.Metering.Settlement(setup.Counters, setup.Key, setup.ExchangeId, setup.FeePercent));
        s.AddSingleton(setup.Counters);
        if (setup.Ledger is not SqliteLedger)
        {
            s.AddSingleton(sp => new LedgerPoster(setup.Ledger, setup.Archive, store, sp.GetRequiredService<LedgerAvailability>(), setup.FeePercent, setup.Time,
                sp.GetRequiredService<ILogger<LedgerPoster>>()));
            s.AddHostedService(sp => sp.GetRequiredService<LedgerPoster>());
        }

        s.AddSingleton(sp => new TradeRecorder(store, sp.GetRequiredService<SqliteDeadLetters>(), sp.GetRequiredService<Core.Metering.Settlement>(), setup.Ledger,
            sp.GetService<LedgerPoster>(), sp.GetRequiredService<LedgerAvailability>(), sp.GetRequiredService<SellerDisputes>(), setup.Rates, setup.Time,
            sp.GetRequiredService<ILogger<TradeRecorder>>(), setup.DataDir));
        s.AddHostedService(sp => sp.GetRequiredService<TradeRecorder>());
        s.AddSingleton<IUsageSink>(sp => sp.GetRequiredService<TradeRecorder>());
        s.AddSingleton(_ => new SqliteReceiptStore(setup.Database, setup.Key, setup.ExchangeId));
        return s;
    }
}
