using Entrepot.Core.Border.Policy;
using Entrepot.Exchange.Border;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Relay;
using Entrepot.Exchange.Settlement;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Entrepot.Exchange.Hosting;

/// <summary>What the exchange's parts are built from: the configuration and the stores opened for
/// it (a cluster's shared PostgreSQL and Redis when it is one; null on a single node).</summary>
internal sealed record ExchangeParts(
    ExchangeConfig Config,
    ExchangeSettings Settings,
    TimeProvider Time,
    SqliteDatabase Db,
    Storage.Postgres.PostgresDatabase? Shared,
    StackExchange.Redis.ConnectionMultiplexer? Redis,
    Marketplace Market,
    Core.Trust.SigningKey SigningKey,
    Core.Trust.SecretBox Secrets)
{
    public ExchangeSection Exchange => Config.Exchange;
}

/// <summary>The exchange's services, registered per concern: single-node stores in SQLite, a
/// cluster's in PostgreSQL and Redis, chosen here once.</summary>
internal static class ExchangeServices
{
    /// <summary>Settings, clock, stores, the market and the client that calls sellers.</summary>
    public static IServiceCollection AddExchangeCore(this IServiceCollection s, ExchangeParts p, Storage.IAccountStore accounts, Storage.IProviderStore providers)
    {
        s.AddSingleton(p.Settings);
        s.AddSingleton(p.Time);
        s.AddSingleton(p.Db);
        // Created here, before any writer opens its connection; the host disposes it after the writers.
        s.AddSingleton(new WalCheckpointer(p.Db));
        s.AddSingleton(accounts);
        s.AddSingleton(providers);
        if (p.Shared is not null)
        {
            s.AddSingleton(p.Shared); // disposed after the app, whose stores use it to the end
        }

        s.AddSingleton(p.Market);
        var privateCa = p.Exchange.TlsCaFile is { } caFile ? System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(caFile)) : null;
        s.AddSingleton(_ => UpstreamClient.Create(privateCa));
        s.AddSingleton(p.SigningKey);
        s.AddSingleton(p.Secrets);
        s.AddHostedService<MarketUpkeep>();
        return s;
    }

    /// <summary>Rule packs, subject counts (shared in a cluster, so they outlive any node) and their pruning, the border control.</summary>
    public static IServiceCollection AddBorder(this IServiceCollection s, ExchangeParts p)
    {
        var settings = p.Settings;
        s.AddSingleton(sp => new PolicyRules(settings.RulesDir, p.Time, sp.GetRequiredService<ILogger<PolicyRules>>()));
        s.AddSingleton<SubjectCounter>();
        s.AddSingleton(sp => new SqliteSubjectStore(p.Db, sp.GetRequiredService<SubjectCounter>()));
        var sharedSubjects = p.Shared is null ? null : new Storage.Postgres.PostgresSubjectCounter(p.Shared);
        if (sharedSubjects is not null)
        {
            s.AddSingleton(_ => sharedSubjects); // from a factory, so the container disposes it (writing what waits)
        }

        s.AddSingleton(sp => sharedSubjects ?? (ISubjectCounter)sp.GetRequiredService<SubjectCounter>());
        s.AddSingleton<SubjectPruning>();
        s.AddHostedService(sp => sp.GetRequiredService<SubjectPruning>());
        s.AddSingleton(sp => new BorderControl(sp.GetRequiredService<PolicyRules>(), sp.GetRequiredService<ISubjectCounter>(),
            p.Shared is null ? SubjectKey.LoadOrCreate(settings.DataDir) : Storage.Postgres.PostgresSubjectCounter.SharedKey(p.Shared), p.Time,
            p.Config.Accounts.Where(a => a.SecretsInClear && a.Id is not null).Select(a => a.Id!).ToHashSet(StringComparer.Ordinal)));
        return s;
    }

    /// <summary>Trade history, the price index, the ledger (SQLite, or PostgreSQL), settlement and
    /// reconciliation with the exporter nodes.</summary>
    public static IServiceCollection AddLedgerAndSettlement(this IServiceCollection s, ExchangeParts p, Core.Metering.TokenCounters counters)
    {
        var x = p.Exchange;
        var settings = p.Settings;
        // Declarations and trade flows: this node's usage log, or the whole cluster's history in PostgreSQL.
        var history = p.Shared is null ? null : new Storage.Postgres.PostgresTradeHistory(p.Shared);
        s.AddSingleton<Storage.ITradeHistory>(history is null ? new SqliteTradeHistory(p.Db) : history);
        s.AddSingleton<Storage.IPriceIndex>(p.Shared is null ? new SqlitePriceIndex(p.Db) : new Storage.Postgres.PostgresPriceIndex(p.Shared));
        SqliteRateTable.Save(p.Db, settings.Rates);
        Storage.ILedgerStore ledger;
        if (x.Ledger is { Store: "postgres", Connection: { } connection })
        {
            // A cluster's nodes already hold the database (the same one): its ledger uses that connection pool.
            ledger = p.Shared is not null ? new Storage.Postgres.PostgresLedger(p.Shared, p.SigningKey, time: p.Time)
                : new Storage.Postgres.PostgresLedger(new Storage.Postgres.PostgresDatabase(connection), p.SigningKey, ownsDatabase: true, time: p.Time);
        }
        else
        {
            ledger = new SqliteLedger(p.Db, p.SigningKey, p.Time);
        }

        s.AddSingleton(ledger);
        s.AddSingleton(new LedgerWatch(ledger, p.SigningKey, p.Time));
        s.AddSingleton(counters);
        s.AddSettlement(new Settlement.SettlementSetup(p.Db, ledger, history, p.SigningKey, "exchange-" + settings.Jurisdiction.ToLowerInvariant(),
            x.FeePercent, settings.Rates, counters, settings.DataDir, p.Time));
        s.AddSingleton(sp => new Settlement.Reconciler(sp.GetRequiredService<Marketplace>(), sp.GetRequiredService<HttpMessageInvoker>(), p.SigningKey,
            sp.GetRequiredService<Settlement.TradeRecorder>(), sp.GetRequiredService<SqliteTradeStore>(), ledger, p.Db, p.Time, sp.GetRequiredService<ILogger<Settlement.Reconciler>>(),
            history, sp.GetRequiredService<Settlement.SellerDisputes>()));
        s.AddSingleton<Settlement.ReconciliationLoop>();
        s.AddHostedService(sp => sp.GetRequiredService<Settlement.ReconciliationLoop>());
        return s;
    }

    /// <summary>Budgets (held in Redis by a cluster's nodes), rate limits, diversification caps, and
    /// the controls that apply the file's and the admin API's settings to them.</summary>
    public static IServiceCollection AddAccountControls(this IServiceCollection s, ExchangeParts p)
    {
        var x = p.Exchange;
        var redis = p.Redis;
        var nodeId = x.Cluster?.NodeId ?? $"{Environment.MachineName}:{p.Settings.Port}";
        Core.Budgets.IBudgetBook budgets = redis is null ? new Core.Budgets.BudgetBook(p.Time) : new Storage.Redis.RedisBudgetBook(redis, p.Time, x.Cluster!.Prefix, nodeId, x.Cluster.Nodes);
        var spending = new BudgetSpending((scope, since, currency) => SpentLedger.SpentSince(p.Db, scope, since, currency, x.FeePercent, p.Settings.Rates));
        s.AddSingleton(budgets);
        if (redis is not null)
        {
            s.AddSingleton(redis);
            s.AddSingleton(sp => new Cluster(nodeId, redis, p.Market,
                (Storage.Redis.RedisBudgetBook)budgets, sp.GetRequiredService<ILogger<Cluster>>(), x.Cluster!.Prefix, sp.GetRequiredService<AccountControls>()));
        }

        s.AddSingleton(spending);
        var limits = new RateLimits
        {
            Shared = redis is null ? null : new Storage.Redis.RedisRateWindow(redis, p.Time, x.Cluster!.Prefix, x.Cluster.Nodes),
            Nodes = x.Cluster?.Nodes ?? 1,
        };
        s.AddSingleton(limits);
        var diversifier = new Core.Routing.Diversifier(p.Time);
        s.AddSingleton(diversifier);

        // Budgets, limits and caps: the file's, then what the admin API set (shared by a cluster's nodes).
        Storage.ISettingStore settingStore = p.Shared is null ? new SqliteSettingStore(p.Db, p.Time) : new Storage.Postgres.PostgresSettingStore(p.Shared);
        var controls = new AccountControls(settingStore, budgets, spending, limits, diversifier, p.Time, p.Config);
        controls.Start();
        s.AddSingleton(controls);
        return s;
    }

    /// <summary>The request path: admission, the sellers' requests, the relay.</summary>
    public static IServiceCollection AddTradePath(this IServiceCollection s)
    {
        s.AddSingleton<TradeAdmission>();
        s.AddSingleton<SellerRequests>();
        s.AddSingleton<AnswerRelay>();
        s.AddSingleton<TradeRelay>();
        s.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, Api.ExchangeJsonContext.Default));
        return s;
    }

    /// <summary>The exchange's meters and Kestrel's, for this host only, scraped at /metrics.</summary>
    public static IServiceCollection AddExchangeMetrics(this IServiceCollection s)
    {
        s.AddSingleton<ExchangeMetrics>();
        // Meters enabled for this host's own meter factory only (MeterScope.Local): with AddMeter the provider would
        // also listen to another host's meters of the same name in this process, and that host's stop would end them here.
        s.AddMetrics(m => m
            .EnableMetrics(ExchangeMetrics.MeterName, null, "OpenTelemetry", MeterScope.Local)
            .EnableMetrics("Microsoft.AspNetCore.Server.Kestrel", null, "OpenTelemetry", MeterScope.Local));
        s.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter());
        return s;
    }
}
