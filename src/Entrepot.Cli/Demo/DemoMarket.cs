using Entrepot.Core.Accounts;
using Entrepot.Core.Market;
using Entrepot.Core.Network;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;

namespace Entrepot.Cli.Demo;

/// <summary>
/// The whole market in one process: an exchange and four exporter nodes in four jurisdictions,
/// each on its own loopback port with the embedded engine (one model, loaded once and shared),
/// its own prices and an emulated network delay for its distance from the exchange.
/// </summary>
public sealed class DemoMarket : IAsyncDisposable
{
    private readonly EmbeddedModel _model;

    private DemoMarket(ExchangeHost exchange, Dictionary<string, ExporterHost> nodes, EmbeddedModel model, string apiKey, string adminKey)
    {
        Exchange = exchange;
        Nodes = nodes;
        _model = model;
        ApiKey = apiKey;
        AdminKey = adminKey;
    }

    public ExchangeHost Exchange { get; }
    public IReadOnlyDictionary<string, ExporterHost> Nodes { get; }
    public string ApiKey { get; }
    public string AdminKey { get; }
    public string ModelName => _model.Name;
    public ModelFile ModelFile => _model.File;

    public static async Task<DemoMarket> StartAsync(DemoOptions options, CancellationToken ct = default)
    {
        var data = DemoMarketData.Load();
        Core.Trust.PrivateDirectory.Ensure(options.DataDir);
        var file = await ModelLocator.ResolveAsync(options.ModelPath, options.DataDir, options.Log, ct).ConfigureAwait(false);
        var model = EmbeddedModel.Load(file);
        options.Log($"model: {model.Name} — {file.Label}");

        var here = new GeoPoint(data.Exchange.Latitude, data.Exchange.Longitude);
        var network = CableNetwork.Default;
        var nodes = new Dictionary<string, ExporterHost>(StringComparer.Ordinal);
        var providers = new List<ProviderSpec>();
        try
        {
            // The exchange's signing key first: the nodes serve only requests it signs.
            using var exchangeKey = Core.Trust.SigningKey.LoadOrCreate(Path.Combine(options.DataDir, "exchange"));
            var trusted = new TrustedExchange { KeyId = exchangeKey.KeyId, PublicKey = Core.Trust.Receipts.Base64Url(exchangeKey.PublicKey) };
            // The links to the nodes run over TLS with certificates from the market's own CA.
            var tlsDir = Path.Combine(options.DataDir, "tls");
            using var ca = Core.Trust.PrivateCa.LoadOrCreate(tlsDir, "Entrepot demo market CA");
            for (var i = 0; i < data.Nodes.Count; i++)
            {
                var n = data.Nodes[i];
                options.Nodes.TryGetValue(n.Id, out var o);
                // The emulated link is as long as the cable path from the exchange (straight line if off the network).
                var rtt = data.Exchange.Locode is { } x && n.Locode is { } y && network.Location(x) is not null && network.Location(y) is not null
                    ? network.Route(x, y)?.RoundTripMs ?? 0
                    : LatencyEstimate.RoundTripMs(here, new GeoPoint(n.Latitude, n.Longitude));
                var delay = o?.DelayMs ?? (int)Math.Round(rtt * options.DelayScale);
                var config = new ExporterConfig
                {
                    Node = new NodeSection { Id = n.Id, Jurisdiction = n.Jurisdiction, City = n.City, Port = options.Port == 0 ? 0 : options.Port + 1 + i },
                    Engine = new EngineSection { Kind = "embedded" },
                    Admission = new AdmissionSection { MaxConcurrency = o?.MaxConcurrency ?? 4, MaxQueue = o?.MaxQueue ?? 16 },
                    EmulatedDelayMs = delay,
                    ScreenBuyers = ["ofac"],
                    TrustedExchanges = [trusted],
                };
                var (certFile, keyFile) = ca.Issue(n.Id, ["127.0.0.1", "localhost"], tlsDir);
                config.Tls = new TlsSection { CertFile = certFile, KeyFile = keyFile };
                config.Node.Price = new NodePrice { Input = n.Price.Input ?? 0, Output = n.Price.Output ?? 0, Currency = n.Price.Currency ?? "USD" };
                var node = ExporterHost.Create(config, new EmbeddedEngine(model, ownsModel: false), ownsEngine: true,
                    dataDir: Path.Combine(options.DataDir, "nodes", n.Id));
                await node.StartAsync(ct).ConfigureAwait(false);
                nodes[n.Id] = node;
                providers.Add(new ProviderSpec
                {
                    Id = n.Id,
                    Kind = "exporter",
                    BaseUrl = new Uri(node.BaseUrl, "v1").AbsoluteUri,
                    Jurisdiction = n.Jurisdiction,
                    Ownership = n.Ownership,
                    City = n.City,
                    Locode = n.Locode,
                    Latitude = n.Latitude,
                    Longitude = n.Longitude,
                    Models = [model.Name],
                    EmbeddingModels = [model.Name],
                    Price = n.Price,
                    Capacity = config.Admission.MaxConcurrency,
                    ReceiptPublicKey = node.PublicKey, // pinned: receipts and heartbeats must come from this node's key
                });
                options.Log($"exporter {n.Id,-13} {n.Jurisdiction} {n.City,-10} {node.BaseUrl}  emulated delay {delay} ms, {n.Price.Input}/{n.Price.Output} {n.Price.Currency} per M tokens");
            }

            var apiKey = options.ApiKey ?? ApiKeyHash.NewKey("ent-demo-");
            var adminKey = options.AdminKey ?? ApiKeyHash.NewKey("ent-admin-");
            var exchangeConfig = new ExchangeConfig
            {
                Exchange = new ExchangeSection
                {
                    Jurisdiction = data.Exchange.Jurisdiction,
                    City = data.Exchange.City,
                    Locode = data.Exchange.Locode,
                    Latitude = data.Exchange.Latitude,
                    Longitude = data.Exchange.Longitude,
                    Port = options.Port,
                    AdminKey = adminKey,
                    FeePercent = 2,
                    TlsCaFile = Path.Combine(tlsDir, Core.Trust.PrivateCa.CertificateFile),
                },
                Accounts = [new AccountSpec { Id = "demo-buyer", Name = "Demo buyer", HomeJurisdiction = data.Exchange.Jurisdiction, Keys = [apiKey] }],
                Providers = providers,
            };
            // The exchange counts the model's tokens as its sellers do: with the model file's own vocabulary.
            var exchange = ExchangeHost.Create(exchangeConfig, Path.Combine(options.DataDir, "exchange"),
                tokenCounters: new Dictionary<string, Core.Metering.ITokenCounter> { [model.Name] = new GgufTokenCounter(model) });
            await exchange.StartAsync(ct).ConfigureAwait(false);
            var demo = new DemoMarket(exchange, nodes, model, apiKey, adminKey);
            demo.FollowNetwork(options);
            foreach (var node in nodes.Values)
            {
                node.StartHeartbeats(new MarketSection { ExchangeUrls = [exchange.BaseUrl.AbsoluteUri], IntervalSeconds = options.HeartbeatSeconds });
            }

            return demo;
        }
        catch
        {
            foreach (var node in nodes.Values)
            {
                await node.DisposeAsync().ConfigureAwait(false);
            }

            model.Dispose();
            throw;
        }
    }

    /// <summary>Keeps each node's emulated delay equal to the exchange's current path to it, so a cable
    /// cut that forces a detour is felt by the requests (nodes with a fixed delay keep theirs).</summary>
    private void FollowNetwork(DemoOptions options)
    {
        void Retime()
        {
            var market = Exchange.Market;
            foreach (var (id, node) in Nodes)
            {
                if (options.Nodes.TryGetValue(id, out var o) && o.DelayMs is not null)
                {
                    continue;
                }

                // The route table was just rebuilt with each seller's path over the current faults.
                if (market.Routes.Find(id) is { Reachable: true, Path: not null } c)
                {
                    node.EmulatedDelayMs = (int)Math.Round(c.EstimatedRoundTripMs * options.DelayScale);
                }
            }
        }

        Exchange.Market.RoutesChanged += Retime;
        Retime();
    }

    /// <summary>Stops one exporter node, as if its data centre went dark.</summary>
    public async Task StopNodeAsync(string id)
    {
        await Nodes[id].StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Heartbeats first: a node still announcing itself to an exchange that is going away only
        // logs failed heartbeats at every stop.
        await Task.WhenAll(Nodes.Values.Select(n => n.StopHeartbeatsAsync())).ConfigureAwait(false);
        await Exchange.DisposeAsync().ConfigureAwait(false);
        foreach (var node in Nodes.Values)
        {
            await node.DisposeAsync().ConfigureAwait(false);
        }

        _model.Dispose();
    }
}
