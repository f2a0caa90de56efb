using System.Net;
using Entrepot.Core.Accounts;
using Entrepot.Core.Protocol;
using Entrepot.Core.Trust;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace Entrepot.Exporter.Hosting;

/// <summary>
/// One exporter node: Kestrel serving the OpenAI endpoints to the exchange, with admission
/// control in front of the engine and an optional emulated network delay.
/// </summary>
public sealed class ExporterHost : IAsyncDisposable
{
    private const int MaxBodyBytes = 8 * 1024 * 1024;
    private readonly WebApplication _app;
    private readonly IEngine _engine;
    private readonly bool _ownsEngine;
    private long _served;

    private ExporterHost(WebApplication app, ExporterConfig config, IEngine engine, bool ownsEngine, Admission admission)
    {
        _app = app;
        Config = config;
        _engine = engine;
        _ownsEngine = ownsEngine;
        Admission = admission;
        _emulatedDelayMs = config.EmulatedDelayMs;
    }

    public ExporterConfig Config { get; }
    public Admission Admission { get; }

    private IReadOnlyDictionary<string, byte[]> _trusted = new Dictionary<string, byte[]>();

    /// <summary>Signs a receipt for every response.</summary>
    public ReceiptIssuer Issuer { get; private init; } = null!;

    /// <summary>Every receipt this node signed, in order (served to its trusted exchanges for reconciliation).</summary>
    public Storage.Sqlite.SqliteIssuedReceiptLog ReceiptLog { get; private init; } = null!;

    /// <summary>Buyer screening by rule packs; null when the node screens no one.</summary>
    public BuyerScreening? Screening { get; private init; }

    /// <summary>Requests that passed authentication, screening and admission and reached the engine stage.</summary>
    public long Received => Interlocked.Read(ref _received);

    private long _received;

    /// <summary>Sees each accepted request body as it arrived at this node (audit hooks, tests).</summary>
    public Action<EndpointKind, byte[]>? OnRequest { get; set; }
    public IEngine Engine => _engine;
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Generations stopped because the exchange hung up before they finished (its buyer went away).</summary>
    public long Cancelled => Interlocked.Read(ref _cancelled);

    private long _cancelled;
    public Uri BaseUrl { get; private set; } = new("http://127.0.0.1/");

    /// <summary>The emulated round trip to the exchange (demo); starts from the configuration and
    /// follows the cable network when the demo re-routes around a cut.</summary>
    public int EmulatedDelayMs
    {
        get => Volatile.Read(ref _emulatedDelayMs);
        set => Volatile.Write(ref _emulatedDelayMs, Math.Max(0, value));
    }

    private int _emulatedDelayMs;

    /// <summary>Creates the node's engine from its configuration (resolving and loading the model for an embedded one).</summary>
    public static async Task<IEngine> CreateEngineAsync(ExporterConfig config, string dataDir, Action<string> log, CancellationToken ct = default)
    {
        if (config.Engine.Kind == "upstream")
        {
            return new UpstreamEngine(new Uri(config.Engine.BaseUrl!), config.Engine.ApiKey, config.Engine.Models);
        }

        var file = await ModelLocator.ResolveAsync(config.Engine.ModelPath, dataDir, log, ct).ConfigureAwait(false);
        var model = EmbeddedModel.Load(file, config.Engine.ModelName, config.Engine.ContextSize);
        return new EmbeddedEngine(model);
    }

    /// <param name="engine">An engine to use; shared engines (the demo's) are not disposed with the node.</param>
    /// <param name="dataDir">Where the node keeps its signing key (created on first start).</param>
    public static ExporterHost Create(ExporterConfig config, IEngine engine, bool ownsEngine, int? port = null, Action<ILoggingBuilder>? logging = null, string? dataDir = null)
    {
        ExporterConfigLoader.Validate(config, "configuration");
        var admission = new Admission(config.Admission.MaxConcurrency, config.Admission.MaxQueue);
        var keyHashes = config.ExchangeKeys.Select(k => ApiKeyHash.Compute(k))
            .Concat(config.ExchangeKeyHashes.Select(h => ApiKeyHash.TryParse(h, out var b) ? b : []))
            .ToList();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = "Entrepot.Exporter",
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
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = MaxBodyBytes;
            if (config.Tls is { CertFile: { } certFile, KeyFile: { } keyFile })
            {
                var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(certFile, keyFile);
                k.Listen(IPAddress.Parse(config.Node.Host), port ?? config.Node.Port, l => l.UseHttps(certificate));
            }
            else
            {
                k.Listen(IPAddress.Parse(config.Node.Host), port ?? config.Node.Port);
            }
        });
        builder.WebHost.UseKestrelHttpsConfiguration();
        // Local scope: only this host's Kestrel meter, never another host's in the same process.
        builder.Services.AddMetrics(m => m.EnableMetrics("Microsoft.AspNetCore.Server.Kestrel", null, "OpenTelemetry", MeterScope.Local));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddPrometheusExporter());

        var app = builder.Build();
        var nodeDir = dataDir ?? Path.Combine(Path.GetTempPath(), "entrepot-node-" + config.Node.Id);
        var key = SigningKey.LoadOrCreate(nodeDir);
        var receiptLog = Storage.Sqlite.SqliteIssuedReceiptLog.Open(nodeDir);
        var host = new ExporterHost(app, config, engine, ownsEngine, admission)
        {
            Screening = BuyerScreening.Create(config, TimeProvider.System),
            Issuer = new ReceiptIssuer(key, config, TimeProvider.System, receiptLog),
            ReceiptLog = receiptLog,
            _trusted = config.TrustedExchanges
                .Select(t => (Key: Receipts.FromBase64Url(t.PublicKey), t.KeyId))
                .Where(t => t.Key is { Length: 32 })
                .ToDictionary(t => t.KeyId ?? SigningKey.KeyIdOf(t.Key!), t => t.Key!, StringComparer.Ordinal),
        };
        host._key = key;
        app.MapGet("/.well-known/entrepot/keys", () => TypedResults.Json(KeySet.Of(config.Node.Id, key), ExporterJsonContext.Default.KeySet));
        app.MapPost("/v1/chat/completions", ctx => host.ServeAsync(ctx, EndpointKind.ChatCompletions, keyHashes));
        app.MapPost("/v1/completions", ctx => host.ServeAsync(ctx, EndpointKind.Completions, keyHashes));
        app.MapPost("/v1/embeddings", ctx => host.ServeAsync(ctx, EndpointKind.Embeddings, keyHashes));
        app.MapGet("/v1/models", () => TypedResults.Json(
            new NodeModels("list", engine.Models.Select(m => new NodeModel(m, "model", 0, config.Node.Id)).ToList()), ExporterJsonContext.Default.NodeModels));
        app.MapGet("/v1/receipts", ctx => host.ListReceiptsAsync(ctx, keyHashes));
        app.MapGet("/healthz", () => TypedResults.Json(host.Health(), ExporterJsonContext.Default.NodeHealth));
        app.MapPrometheusScrapingEndpoint("/metrics");
        return host;
    }

    public NodeHealth Health() => new("ok", Config.Node.Id, Config.Node.Jurisdiction, _engine.Description,
        Admission.InFlight, Admission.Queued, Admission.MaxConcurrency, Admission.Rejected, Served);

    /// <summary>How long a request's body may take to arrive (it is read before a slot is taken).</summary>
    public TimeSpan BodyDeadline => TimeSpan.FromSeconds(Config.Admission.BodyTimeoutSeconds);

    /// <summary>
    /// One inference request. Everything that can be refused before the body is read is refused
    /// first (the exchange's key, the signature's key, freshness and audience, a request id already
    /// used, the buyer's country), then the body is read under <see cref="BodyDeadline"/> holding no
    /// admission slot, the signature checked over it and its headers and the request id taken, and
    /// only then a slot: nobody but the node's exchanges can occupy its capacity, however slowly they send.
    /// </summary>
    private async Task ServeAsync(HttpContext ctx, EndpointKind kind, List<byte[]> keyHashes)
    {
        var presented = MatchedExchangeKey(ctx, keyHashes);
        if (keyHashes.Count > 0 && presented is null)
        {
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 401, new RequestError("This node serves only its configured exchanges: missing or invalid key.", null, "invalid_api_key", "authentication_error")).ConfigureAwait(false);
            return;
        }

        var h = ctx.Request.Headers;
        var replayId = h[RequestSignature.RequestIdHeader] + "#" + h[ReceiptIssuer.AttemptHeader];
        if (_trusted.Count > 0)
        {
            var fault = RequestSignature.PreCheck(_trusted, h[RequestSignature.KeyHeader], h[RequestSignature.TimestampHeader], h[RequestSignature.SignatureHeader],
                h[RequestSignature.AudienceHeader], Config.Node.Id, TimeProvider.System.GetUtcNow());
            if (fault == SignatureFault.None && _replays.Contains(replayId))
            {
                fault = SignatureFault.Replayed;
            }

            if (fault != SignatureFault.None)
            {
                await Untrusted(ctx, fault).ConfigureAwait(false);
                return;
            }
        }

        if (Screening?.Refusal(h[BuyerScreening.BuyerJurisdictionHeader].ToString()) is { } refusal)
        {
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 451, new RequestError(refusal, null, "unavailable_for_legal_reasons", "invalid_request_error")).ConfigureAwait(false);
            return;
        }

        var ct = ctx.RequestAborted;
        byte[] body;
        using (var arriving = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            arriving.CancelAfter(BodyDeadline);
            try
            {
                using var buffer = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(buffer, arriving.Token).ConfigureAwait(false);
                body = buffer.ToArray();
            }
            catch (BadHttpRequestException e)
            {
                await Http.ErrorAsync(new HttpAnswer(ctx.Response), e.StatusCode, new RequestError(e.Message, null, "bad_request")).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                ctx.Response.Headers.Connection = "close";
                await Http.ErrorAsync(new HttpAnswer(ctx.Response), 408, new RequestError($"The request body did not arrive within {BodyDeadline.TotalSeconds:0} s.", null, "request_timeout")).ConfigureAwait(false);
                return;
            }
        }

        if (_trusted.Count > 0)
        {
            var fault = RequestSignature.Verify(_trusted, h.Select(x => KeyValuePair.Create(x.Key, x.Value.ToString())), ctx.Request.Method,
                ctx.Request.Path + ctx.Request.QueryString, Config.Node.Id, body, TimeProvider.System.GetUtcNow());
            if (fault == SignatureFault.None && !_replays.TryAdd(replayId))
            {
                fault = SignatureFault.Replayed;
            }

            if (fault != SignatureFault.None)
            {
                await Untrusted(ctx, fault).ConfigureAwait(false);
                return;
            }
        }

        using var slot = await Admission.TryEnterAsync(ct).ConfigureAwait(false);
        if (slot is null)
        {
            ctx.Response.Headers.RetryAfter = "1";
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 429, new RequestError(
                $"Node {Config.Node.Id} is at capacity ({Admission.MaxConcurrency} running, {Admission.MaxQueue} queued).", null, "node_at_capacity", "rate_limit_error")).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _received);
        OnRequest?.Invoke(kind, body);
        if (EmulatedDelayMs is var delay and > 0)
        {
            // The demo's stand-in for the distance to the exchange: one round trip per request.
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }

        try
        {
            await Issuer.ServeAsync(ctx, body, answer => _engine.ServeAsync(kind, body, answer, ct), ExchangeOf(ctx, presented)).ConfigureAwait(false);
            Interlocked.Increment(ref _served);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The exchange hung up (its buyer went away); generation stops with it.
            Interlocked.Increment(ref _cancelled);
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 500, new RequestError($"The engine failed: {e.GetType().Name}.", null, "engine_error", "api_error")).ConfigureAwait(false);
        }
    }

    private readonly ReplayCache _replays = new(TimeProvider.System);

    /// <summary>The stored hash of the exchange key the request presents, or null (every hash is compared, in constant time each).</summary>
    private static byte[]? MatchedExchangeKey(HttpContext ctx, List<byte[]> keyHashes)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header.AsSpan(7).Trim() : default;
        byte[]? matched = null;
        foreach (var h in keyHashes)
        {
            if (!token.IsEmpty && ApiKeyHash.Matches(token, h))
            {
                matched = h;
            }
        }

        return matched;
    }

    /// <summary>
    /// Which of the node's exchanges an authenticated request comes from, as its receipt log records
    /// it: the key id that signed it where the node trusts exchanges by key, else the exchange key it
    /// presented (a prefix of its stored hash). A node serves each exchange only the receipts it issued
    /// for that exchange: another exchange's receipts carry no quote the reader sealed, and it would
    /// count them against this seller as invented.
    /// </summary>
    /// <param name="presented">The stored hash of the exchange key the request presented (<see cref="MatchedExchangeKey"/>), if any.</param>
    private string? ExchangeOf(HttpContext ctx, byte[]? presented) =>
        _trusted.Count > 0 ? "kid:" + ctx.Request.Headers[RequestSignature.KeyHeader]
        : presented is not null ? "key:" + Convert.ToHexStringLower(presented)[..16]
        : null;

    private static Task Untrusted(HttpContext ctx, SignatureFault fault) => Http.ErrorAsync(new HttpAnswer(ctx.Response), 401,
        new RequestError(RequestSignature.Explain(fault, ctx.Request.Headers[RequestSignature.KeyHeader]), null,
            fault == SignatureFault.Replayed ? "replayed_request" : "untrusted_exchange", "authentication_error"));

    /// <summary>
    /// <c>GET /v1/receipts?since=SEQ&amp;limit=N</c>: the node's receipt log after a sequence number,
    /// for an exchange reconciling what it missed. Receipts name buyers, so only the node's exchanges
    /// may read it: with trusted_exchanges, a signature by one of them over the path and query; else
    /// a valid exchange key. An open node (neither configured) serves its log to no one.
    /// </summary>
    private async Task ListReceiptsAsync(HttpContext ctx, List<byte[]> keyHashes)
    {
        var h = ctx.Request.Headers;
        var target = ctx.Request.Path + ctx.Request.QueryString;
        string? refusal;
        byte[]? presented = null;
        if (_trusted.Count > 0)
        {
            var fault = RequestSignature.Verify(_trusted, h.Select(x => KeyValuePair.Create(x.Key, x.Value.ToString())), "GET", target, Config.Node.Id, [], TimeProvider.System.GetUtcNow());
            if (fault == SignatureFault.None && !_replays.TryAdd(h[RequestSignature.RequestIdHeader] + "#receipts"))
            {
                fault = SignatureFault.Replayed;
            }

            refusal = fault == SignatureFault.None ? null : RequestSignature.Explain(fault, h[RequestSignature.KeyHeader]);
        }
        else if (keyHashes.Count > 0)
        {
            presented = MatchedExchangeKey(ctx, keyHashes);
            refusal = presented is not null ? null : "This node serves its receipt log only to its exchanges: missing or invalid key.";
        }
        else
        {
            refusal = "This node has neither trusted_exchanges nor exchange_keys configured, so it serves its receipt log to no one.";
        }

        if (refusal is not null)
        {
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 401, new RequestError(refusal, null,
                refusal == RequestSignature.Explain(SignatureFault.Replayed, null) ? "replayed_request" : "untrusted_exchange", "authentication_error")).ConfigureAwait(false);
            return;
        }

        var q = ctx.Request.Query;
        long since = 0;
        int limit = 500;
        if (q.TryGetValue("since", out var sv) && !long.TryParse(sv.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out since))
        {
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 400, new RequestError("'since' must be a non-negative integer (a sequence number from this log).", "since", "invalid_value")).ConfigureAwait(false);
            return;
        }

        if (q.TryGetValue("limit", out var lv) && (!int.TryParse(lv.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 5000))
        {
            await Http.ErrorAsync(new HttpAnswer(ctx.Response), 400, new RequestError("'limit' must be an integer from 1 to 5000.", "limit", "invalid_value")).ConfigureAwait(false);
            return;
        }

        var rows = ReceiptLog.Since(since, limit + 1, ExchangeOf(ctx, presented));
        bool more = rows.Count > limit;
        ctx.Response.ContentType = "application/json";
        await using var w = new System.Text.Json.Utf8JsonWriter(ctx.Response.Body);
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        long last = since;
        foreach (var r in rows.Take(limit))
        {
            w.WriteStartObject();
            w.WriteNumber("seq", r.Seq);
            w.WritePropertyName("receipt");
            w.WriteRawValue(r.Document, skipInputValidation: true);
            w.WriteEndObject();
            last = r.Seq;
        }

        w.WriteEndArray();
        w.WriteNumber("next_since", last);
        w.WriteBoolean("has_more", more);
        w.WriteEndObject();
        await w.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
    }

    public async Task StartAsync(CancellationToken ct = default)
    {
        await _app.StartAsync(ct).ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + "/");
        if (Config.Market is { ExchangeUrls.Count: > 0 } market)
        {
            StartHeartbeats(market);
        }
    }

    /// <summary>The key id the node signs receipts and heartbeats with.</summary>
    public string KeyId => _key.KeyId;

    /// <summary>The node's public key (base64url), the one an exchange pins.</summary>
    public string PublicKey => Receipts.Base64Url(_key.PublicKey);

    private SigningKey _key = null!;
    private CancellationTokenSource? _heartbeatStop;
    private Task _heartbeats = Task.CompletedTask;
    private HttpMessageInvoker? _heartbeatHttp;

    /// <summary>Starts publishing the offer to the market's exchanges (also after start, e.g. once the
    /// demo's exchange is up).</summary>
    public void StartHeartbeats(MarketSection market)
    {
        if (_heartbeatStop is not null)
        {
            return;
        }

        Config.Market = market;
        _heartbeatStop = new CancellationTokenSource();
        _heartbeatHttp = new HttpMessageInvoker(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        var publisher = new HeartbeatPublisher(this, _key, market, _heartbeatHttp, TimeProvider.System,
            _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Entrepot.Exporter.Heartbeat"));
        _heartbeats = Task.Run(() => publisher.RunAsync(_heartbeatStop.Token));
    }

    /// <summary>Stops heartbeating (the node keeps serving): the exchange will take it out of its market.</summary>
    public async Task StopHeartbeatsAsync()
    {
        if (_heartbeatStop is null)
        {
            return;
        }

        await _heartbeatStop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _heartbeats.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }

        _heartbeatStop.Dispose();
        _heartbeatStop = null;
        _heartbeatHttp?.Dispose();
    }

    public async Task StopAsync(CancellationToken ct = default)
    {
        await StopHeartbeatsAsync().ConfigureAwait(false);
        await _app.StopAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopHeartbeatsAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await ReceiptLog.DisposeAsync().ConfigureAwait(false);
        Admission.Dispose();
        if (_ownsEngine)
        {
            _engine.Dispose();
        }
    }
}
