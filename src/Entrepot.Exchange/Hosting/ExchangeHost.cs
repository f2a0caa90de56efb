using System.Net;
using Entrepot.Core.Accounts;
using Entrepot.Core.Metering;
using Entrepot.Core.Network;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Exchange.Api;
using Entrepot.Exchange.Border;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Relay;
using Entrepot.Exchange.Settlement;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// Builds and runs one exchange: Kestrel on the configured address, the SQLite store in the data
/// directory, the buyer API, the admin API, /healthz and /metrics.
/// </summary>
public sealed class ExchangeHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ExchangeHost(WebApplication app, ExchangeSettings settings)
    {
        _app = app;
        Settings = settings;
    }

    public ExchangeSettings Settings { get; }
    public IServiceProvider Services => _app.Services;
    public Marketplace Market => _app.Services.GetRequiredService<Marketplace>();

    /// <summary>Settles and records every request (its writer thread); flush it to see what was recorded.</summary>
    public Settlement.TradeRecorder Recorder => _app.Services.GetRequiredService<Settlement.TradeRecorder>();

    /// <summary>The trade log as stored (recent rows, the reads the exchange makes).</summary>
    public SqliteTradeStore Trades => _app.Services.GetRequiredService<SqliteTradeStore>();

    /// <summary>The address Kestrel bound, known after <see cref="StartAsync"/> (port 0 picks a free one).</summary>
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1/");

    /// <param name="tokenizerKinds">Tokenizer kinds beyond "estimate" and "tiktoken" that
    /// <c>exchange.tokenizers</c> may name (the program adds "gguf").</param>
    /// <param name="tokenCounters">Counters for models given directly (the demo's, sharing its loaded model).</param>
    public static ExchangeHost Create(ExchangeConfig config, string dataDir, int? port = null, string? host = null, Action<ILoggingBuilder>? logging = null,
        IReadOnlyDictionary<string, Func<string, Core.Metering.ITokenCounter>>? tokenizerKinds = null,
        IReadOnlyDictionary<string, Core.Metering.ITokenCounter>? tokenCounters = null)
    {
        ExchangeConfigLoader.Validate(config, "configuration");
        var x = config.Exchange;
        var settings = ExchangeSettings.From(config, dataDir, port, host);
        Core.Trust.PrivateDirectory.Ensure(settings.DataDir);
        var time = TimeProvider.System;
        var db = new SqliteDatabase(Path.Combine(settings.DataDir, "exchange.db"));
        // A cluster keeps accounts, keys and admin-added providers in PostgreSQL, so a key issued or a
        // seller added through any node works on every node (after the change is announced).
        var shared = x.Cluster is not null ? new Storage.Postgres.PostgresDatabase(x.Ledger!.Connection!) : null;
        Storage.IAccountStore accounts = shared is null ? new SqliteAccountStore(db, time) : new Storage.Postgres.PostgresAccountStore(shared, time);
        SeedAccounts(config, accounts, settings.Jurisdiction);
        Storage.IProviderStore providerStore = shared is null ? new SqliteProviderStore(db, time) : new Storage.Postgres.PostgresProviderStore(shared, time);
        var configured = config.Providers.Select((p, i) => p.ToProvider(out _, $"providers[{i}]")!).ToList();
        CableNetwork network;
        if (x.NetworkFile is { } networkFile)
        {
            using var stream = File.OpenRead(networkFile);
            network = CableNetwork.Load(stream);
        }
        else
        {
            network = CableNetwork.Default;
        }

        var redis = ConnectRedis(x);
        var (faults, loadFaults) = CableFaultsOf(db, redis, x, network, time);
        var signingKey = Core.Trust.SigningKey.LoadOrCreate(x.SigningKeyDir is { } keyDir ? Path.GetFullPath(keyDir) : settings.DataDir);
        var secrets = new Core.Trust.SecretBox(signingKey);
        var market = new Marketplace(configured, providerStore, accounts, settings.Location, time, network, x.Locode, faults, new Core.Market.OfferBook(time), secrets)
        {
            FaultSource = loadFaults,
            OfferStore = shared is null ? null : new Storage.Postgres.PostgresOfferStore(shared),
        };
        market.ReloadOffers(); // a node joining a running cluster starts with the market as it is

        var builder = WebBuilder(settings, logging);
        var parts = new ExchangeParts(config, settings, time, db, shared, redis, market, signingKey, secrets);
        builder.Services
            .AddExchangeCore(parts, accounts, providerStore)
            .AddBorder(parts)
            .AddLedgerAndSettlement(parts, TokenCounters(config, tokenizerKinds, tokenCounters))
            .AddAccountControls(parts)
            .AddTradePath()
            .AddExchangeMetrics();

        var app = builder.Build();
        app.UseMiddleware<ErrorShapeMiddleware>();
        app.UseMiddleware<ThreadPoolHop>();
        app.MapOpenAIApi();
        app.MapAdminApi();
        app.MapTradeApi();
        app.MapMarketApi();
        app.MapDashboard();
        app.MapReceiptApi();
        app.MapLedgerApi();
        app.MapGet("/healthz", (Marketplace m) => TypedResults.Json(
            new HealthReport("ok", m.Routes.All.Count, m.Routes.Models.Count), ExchangeJsonContext.Default.HealthReport));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapFallback(ctx => HttpErrors.WriteAsync(ctx, 404, $"No endpoint {ctx.Request.Method} {ctx.Request.Path}.", "invalid_request_error", null, "unknown_url"));
        return new ExchangeHost(app, settings);
    }

    /// <summary>A cluster's Redis; connecting fails fast with a clear message when it is not there. Null on a single node.</summary>
    private static StackExchange.Redis.ConnectionMultiplexer? ConnectRedis(ExchangeSection x)
    {
        StackExchange.Redis.ConnectionMultiplexer? redis = null;
        if (x.Cluster is { Redis: { } redisConfig })
        {
            var options = StackExchange.Redis.ConfigurationOptions.Parse(redisConfig);
            options.AbortOnConnectFail = false;
            // A Redis that is down fails fast (no connection); these bound a slow one. Generous enough
            // for a busy two-core machine, short enough that a buyer gets a 503 rather than a hang.
            options.ConnectTimeout = 3000;
            options.SyncTimeout = 3000;
            options.AsyncTimeout = 3000;
            redis = StackExchange.Redis.ConnectionMultiplexer.Connect(options);
            if (!redis.IsConnected)
            {
                redis.Dispose();
                throw new ConfigurationException($"configuration: 'exchange.cluster.redis': cannot reach Redis at {redisConfig}.");
            }
        }

        return redis;
    }

    /// <summary>The cable faults, kept where they survive a restart (an operator who marked a cable down
    /// must restore it explicitly): this node's database, or a cluster's Redis, so every node routes
    /// around the same faults.</summary>
    private static (CableFaults Faults, Func<IEnumerable<string>> Load) CableFaultsOf(SqliteDatabase db, StackExchange.Redis.ConnectionMultiplexer? redis,
        ExchangeSection x, CableNetwork network, TimeProvider time)
    {
        var faultStore = new SqliteCableFaults(db, time);
        Func<IEnumerable<string>> loadFaults = redis is null
            ? faultStore.Load
            : () => redis.GetDatabase().SetMembers(x.Cluster!.Prefix + "cuts").Select(v => v.ToString());
        var faults = new CableFaults();
        faults.Reset(loadFaults().Where(id => network.Cable(id) is not null));
        faults.Changed += () =>
        {
            if (redis is null)
            {
                faultStore.Save(faults.Cut);
                return;
            }

            var set = redis.GetDatabase();
            var tx = set.CreateTransaction();
            _ = tx.KeyDeleteAsync(x.Cluster!.Prefix + "cuts");
            if (faults.Cut.Count > 0)
            {
                _ = tx.SetAddAsync(x.Cluster.Prefix + "cuts", faults.Cut.Select(c => (StackExchange.Redis.RedisValue)c).ToArray());
            }

            tx.Execute();
        };

        return (faults, loadFaults);
    }

    /// <summary>The web host: Kestrel on the configured address with inline scheduling, one-line UTC logs.</summary>
    private static WebApplicationBuilder WebBuilder(ExchangeSettings settings, Action<ILoggingBuilder>? logging)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "Entrepot.Exchange",
            ContentRootPath = settings.DataDir,
            // No appsettings.json is read; without this the default host still watches the content
            // root for one, and the watcher thread burns CPU on every usage-log write.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            // UTC times to the millisecond, so one node's warnings line up with another's.
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // A start failure (port in use) is reported by the program in one line; the host would add a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseSockets(o =>
        {
            o.UnsafePreferInlineScheduling = true;
            // Read straight into a pooled buffer: waiting for data first costs a peek system call
            // per request, for a saving (no buffer held by an idle connection) a buyer's few
            // keep-alive connections do not need.
            o.WaitForDataBeforeAllocatingBuffer = false;
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = (long)settings.MaxRequestBytes * 2;
            k.Listen(IPAddress.Parse(settings.Host), settings.Port);
        });

        return builder;
    }

    /// <summary>The file's accounts, and its keys as the file has them now: a key removed from the file
    /// is revoked, a key moved to another account moves; keys issued through the admin API stay.</summary>
    private static void SeedAccounts(ExchangeConfig config, Storage.IAccountStore accounts, string defaultJurisdiction)
    {
        var keys = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var a in config.Accounts)
        {
            var dataClass = a.DefaultDataClass is { } dc && DataClasses.TryParseClass(dc, out var parsed) ? parsed : DataClass.Public;

            var account = new Account(a.Id!, a.Name ?? a.Id!, (a.HomeJurisdiction ?? defaultJurisdiction).ToUpperInvariant(), dataClass,
                a.Attestations.Select(t => t.Trim().ToLowerInvariant()).ToArray(), (a.Currency ?? "USD").ToUpperInvariant());
            accounts.Upsert(account);
            var hashes = a.Keys.Select(k => ApiKeyHash.Compute(k))
                .Concat(a.KeyHashes.Select(t => ApiKeyHash.TryParse(t, out var b) ? b : []));
            foreach (var hash in hashes)
            {
                keys[Storage.IAccountStore.ConfigKeyPrefix + Convert.ToHexStringLower(hash)[..16]] = (account.Id, hash);
            }
        }

        accounts.SyncConfigKeys(keys);
    }

    /// <summary>What an account has spent since a time, fee included, from the usage log (restarts keep budgets honest).</summary>
    /// <summary>The counters of <c>exchange.tokenizers</c> (and any given directly), the rest by model name.</summary>
    private static Core.Metering.TokenCounters TokenCounters(ExchangeConfig config, IReadOnlyDictionary<string, Func<string, Core.Metering.ITokenCounter>>? kinds,
        IReadOnlyDictionary<string, Core.Metering.ITokenCounter>? given)
    {
        var counters = new Dictionary<string, Core.Metering.ITokenCounter>(StringComparer.Ordinal);
        foreach (var (model, spec) in config.Exchange.Tokenizers)
        {
            counters[model] = Core.Metering.TokenCounters.Parse(spec, kinds, out var error)
                ?? throw new ConfigurationException($"configuration: 'exchange.tokenizers.{model}': {error}");
        }

        foreach (var (model, counter) in given ?? new Dictionary<string, Core.Metering.ITokenCounter>())
        {
            counters.TryAdd(model, counter);
        }

        return new Core.Metering.TokenCounters(counters);
    }


    public async Task StartAsync(CancellationToken ct = default)
    {
        // Resolved before serving: invalid packs stop the start with their file, line and field,
        // and the stored subject counts are loaded before the first request is decided.
        _ = _app.Services.GetRequiredService<SqliteSubjectStore>();
        _ = _app.Services.GetService<Storage.Postgres.PostgresSubjectCounter>(); // resolved, so it is disposed (queue written) at stop
        var border = _app.Services.GetRequiredService<BorderControl>();
        var startLog = _app.Services.GetRequiredService<ILogger<ExchangeHost>>();
        var accounts = _app.Services.GetRequiredService<Storage.IAccountStore>().List();
        foreach (var missing in Core.Border.Policy.MissingFacts.Of(border.Rules.Current, Market.Routes.All.Select(c => c.Provider.Counterparty).DistinctBy(c => c.Id),
                     accounts.Select(a => (a.Id, a.HomeJurisdiction))))
        {
            startLog.LogWarning("Border rules decide on the worst case: {Missing}", missing);
        }

        Market.ReloadKeys();
        _ = _app.Services.GetService<Cluster>(); // joins the other nodes' announcements before serving
        Market.Announce?.Invoke("keys"); // the file's keys as this node found them (one removed from the file is revoked everywhere)
        foreach (var what in (string[])["budgets", "limits", "caps"])
        {
            Market.Announce?.Invoke(what); // and the file's budgets, limits and caps: the other nodes apply them too
        }
        await _app.StartAsync(ct).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
    }

    public Task StopAsync(CancellationToken ct = default) => _app.StopAsync(ct);

    /// <summary>The first reconciliation after a start: done (or failed) once this completes.</summary>
    public Task FirstReconciliation => _app.Services.GetRequiredService<Settlement.ReconciliationLoop>().FirstPass;

    /// <summary>Waits until every request in the relay has finished its bookkeeping and the
    /// background writers have committed it (usage, declarations, subject counts).</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var relay = _app.Services.GetRequiredService<TradeRelay>();
        while (relay.InFlight > 0)
        {
            await Task.Delay(2, ct).ConfigureAwait(false);
        }

        await Recorder.FlushAsync(ct).ConfigureAwait(false);
        if (_app.Services.GetService<Core.Budgets.IBudgetBook>() is Storage.Redis.RedisBudgetBook book)
        {
            // Holds are settled in Redis without waiting for its answer: wait for those answers too (30 s at most).
            for (var i = 0; i < 15_000 && book.Settling > 0; i++)
            {
                await Task.Delay(2, ct).ConfigureAwait(false);
            }
        }

        await _app.Services.GetRequiredService<SqliteSubjectStore>().FlushAsync(ct).ConfigureAwait(false);
        if (_app.Services.GetService<Storage.Postgres.PostgresSubjectCounter>() is { } shared)
        {
            await shared.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // The recorder exists from Create on; resolving it makes the container dispose (flush) it.
        _ = Recorder;
        // Stop first so requests in flight finish and record what they did; disposing alone would
        // abort them and drop their usage and declarations.
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Grace period over: what is still running is aborted by the dispose below.
            }
        }

        var redis = _app.Services.GetService<StackExchange.Redis.ConnectionMultiplexer>();
        var shared = _app.Services.GetService<Storage.Postgres.PostgresDatabase>();
        var ledger = _app.Services.GetRequiredService<Storage.ILedgerStore>();
        var limits = _app.Services.GetRequiredService<Relay.RateLimits>();
        var checkpointer = _app.Services.GetRequiredService<WalCheckpointer>();
        await _app.DisposeAsync().ConfigureAwait(false);
        limits.Dispose(); // a cluster node gives back its unused shared permits while Redis is still connected
        ledger.Dispose(); // its last checkpoint, after the recorder and the poster wrote their last entries
        checkpointer.Dispose(); // after the writers' last commits (the database's last connection copies what is left)
        if (redis is not null)
        {
            await redis.DisposeAsync().ConfigureAwait(false);
        }

        shared?.Dispose();
    }
}
