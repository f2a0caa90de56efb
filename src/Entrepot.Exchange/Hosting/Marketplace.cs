using Entrepot.Core.Accounts;
using Entrepot.Core.Market;
using Entrepot.Core.Network;
using Entrepot.Core.Routing;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// The exchange's live view of sellers and buyers: one route table and one key ring, each read
/// through a single volatile reference by the request path and replaced whole on change.
/// Providers from the configuration file are fixed; the admin API adds and removes others. The
/// route table is rebuilt whenever a node heartbeats, a node leaves, or a cable is cut or restored,
/// so the next request already sees the new prices and paths.
/// </summary>
public sealed class Marketplace
{
    private readonly IReadOnlyList<Provider> _configured;
    private readonly Storage.IProviderStore _providers;
    private readonly Storage.IAccountStore _accounts;
    private readonly GeoPoint? _location;
    private readonly TimeProvider _time;
    private readonly Lock _reload = new();
    private IReadOnlyList<Provider> _listed = [];
    private RouteTable _routes = RouteTable.Empty;
    private KeyRing _keys = KeyRing.Empty;

    public Marketplace(IReadOnlyList<Provider> configured, Storage.IProviderStore providers, Storage.IAccountStore accounts, GeoPoint? location, TimeProvider time,
        CableNetwork? network = null, string? exchangeLocode = null, CableFaults? faults = null, OfferBook? offers = null, Core.Trust.SecretBox? secrets = null)
    {
        Secrets = secrets;
        _configured = configured;
        _providers = providers;
        _accounts = accounts;
        _location = location;
        _time = time;
        Network = network ?? CableNetwork.Default;
        Faults = faults ?? new CableFaults();
        Offers = offers ?? new OfferBook(time);
        ExchangeLocode = exchangeLocode is not null && Network.Location(exchangeLocode) is { } l ? l.Locode
            : location is { } here ? Network.Nearest(here)?.Locode : null;
        ReloadProviders();
        ReloadKeys();
        Faults.Changed += Rebuild;
        Offers.Changed += Rebuild;
    }

    public RouteTable Routes => Volatile.Read(ref _routes);

    /// <summary>The buyer accounts.</summary>
    public Storage.IAccountStore Accounts => _accounts;
    public KeyRing Keys => Volatile.Read(ref _keys);

    public CableNetwork Network { get; }
    public CableFaults Faults { get; }
    public OfferBook Offers { get; }

    /// <summary>Where the exchange sits on the cable network; null when it is placed nowhere near it.</summary>
    public string? ExchangeLocode { get; }

    /// <summary>Raised after every rebuild of the route table (the demo re-times its emulated links).</summary>
    public event Action? RoutesChanged;

    public bool IsConfigured(string providerId) => _configured.Any(p => p.Id == providerId);

    /// <summary>A seller as the operator listed it (configuration or admin API), before any offer.</summary>
    public Provider? Listed(string providerId) => Volatile.Read(ref _listed).FirstOrDefault(p => p.Id == providerId);

    /// <summary>Set in a cluster: tells the other nodes to reload something (providers, keys).</summary>
    public Action<string>? Announce { get; set; }

    /// <summary>Where the cut cables are kept (the node's database, or Redis for a cluster).</summary>
    public Func<IEnumerable<string>>? FaultSource { get; set; }

    /// <summary>Re-reads the cut cables (another exchange node changed them).</summary>
    public void ReloadFaults()
    {
        if (FaultSource is { } source)
        {
            Faults.Reset(source().Where(id => Network.Cable(id) is not null));
        }
    }

    /// <summary>The seller's place on the cable network: its LOCODE, else the city nearest its coordinates.</summary>
    public string? LocodeOf(Provider p) =>
        p.Locode is { } code && Network.Location(code) is { } l ? l.Locode
            : p.Location is { } point ? Network.Nearest(point)?.Locode : null;

    /// <summary>The estimated path from the exchange to a seller with the current faults; null when
    /// either end is off the network or every path is cut.</summary>
    public NetworkRoute? PathTo(Provider p) =>
        ExchangeLocode is { } from && LocodeOf(p) is { } to ? Network.Route(from, to, Faults.Cut) : null;

    /// <summary>Sellers added through the admin API that cannot be listed (for example an upstream key
    /// sealed under another exchange's key), with the reason: left out of the market, said at start.</summary>
    public IReadOnlyDictionary<string, string> Unusable { get; private set; } = new Dictionary<string, string>();

    /// <summary>Re-reads the providers added through the admin API and rebuilds the routes.</summary>
    public void ReloadProviders()
    {
        lock (_reload)
        {
            var byId = _configured.ToDictionary(p => p.Id, StringComparer.Ordinal);
            var unusable = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var spec in _providers.List())
            {
                if (spec.ToProvider(out var error, $"providers['{spec.Id}']", Secrets is { } box ? box.Open : null) is not { } p)
                {
                    unusable[spec.Id ?? "?"] = error ?? "not usable";
                }
                else if (!byId.ContainsKey(p.Id))
                {
                    byId[p.Id] = p;
                }
            }

            Unusable = unusable;

            foreach (var id in _listed.Select(p => p.Id).Except(byId.Keys))
            {
                Offers.Forget(id);
            }

            _listed = byId.Values.OrderBy(p => p.Id, StringComparer.Ordinal).ToArray();
            RebuildLocked();
        }

        RoutesChanged?.Invoke();
    }

    /// <summary>Rebuilds the routes from the current providers, offers and faults.</summary>
    public void Rebuild()
    {
        lock (_reload)
        {
            RebuildLocked();
        }

        RoutesChanged?.Invoke();
    }

    private void RebuildLocked()
    {
        var cut = Faults.Cut;
        var inMarket = new List<Provider>(_listed.Count);
        var departed = new List<Provider>();
        foreach (var p in _listed)
        {
            if (Offers.Get(p.Id) is { } offer)
            {
                // The node's own heartbeat is the live offer: what it serves, at what price, how much,
                // within what the operator listed.
                inMarket.Add(p.WithOffer(offer));
            }
            else if (Offers.HasLeft(p.Id))
            {
                departed.Add(p);
            }
            else
            {
                inMarket.Add(p);
            }
        }

        Quote Quote(Provider p)
        {
            var load = Offers.Get(p.Id)?.Load ?? 0;
            var spot = SpotPrice.Of(p.Price, load);
            if (ExchangeLocode is { } from && LocodeOf(p) is { } to)
            {
                var route = Network.Route(from, to, cut);
                return route is null
                    ? new Quote(0, false, spot, load)
                    : new Quote(route.RoundTripMs, true, spot, load, route.Path);
            }

            return new Quote(RouteTable.StraightLineMs(_location, p), true, spot, load);
        }

        Volatile.Write(ref _routes, new RouteTable(inMarket, Quote, _time, _routes, departed));
    }

    /// <summary>Opens the upstream keys of sellers added through the admin API (stored sealed).</summary>
    public Core.Trust.SecretBox? Secrets { get; }

    /// <summary>Set in a cluster: where the exporter nodes' heartbeats are shared between the exchange nodes.</summary>
    public Storage.IOfferStore? OfferStore { get; set; }

    /// <summary>Keeps an accepted heartbeat where the other exchange nodes read it, and tells them.</summary>
    public void ShareOffer(Offer offer, string heartbeat)
    {
        if (OfferStore is { } store)
        {
            store.Save(offer.ProviderId, offer.Sequence, heartbeat, offer.ReceivedAt);
            Announce?.Invoke("offers");
        }
    }

    /// <summary>Takes in the heartbeats other exchange nodes received (a heartbeat lasts at most three
    /// intervals of at most a minute); ones already seen or older than the live offer are ignored.</summary>
    public void ReloadOffers()
    {
        if (OfferStore is not { } store)
        {
            return;
        }

        foreach (var (json, receivedAt) in store.Since(_time.GetUtcNow() - TimeSpan.FromMinutes(3)))
        {
            Heartbeat? beat;
            try
            {
                beat = System.Text.Json.JsonSerializer.Deserialize(json, Api.ExchangeJsonContext.Default.Heartbeat);
            }
            catch (System.Text.Json.JsonException)
            {
                continue; // kept by a node that verified it; one unreadable row must not hide the others
            }

            // The offer book itself turns away a sequence number it has already seen or passed.
            if (beat?.ToOffer(receivedAt, out _, out _) is { } offer && Routes.Find(offer.ProviderId)?.Provider.Kind == ProviderKind.Exporter
                && offer.ExpiresAt > _time.GetUtcNow())
            {
                Offers.Publish(offer);
            }
        }
    }

    public void ReloadKeys()
    {
        lock (_reload)
        {
            Volatile.Write(ref _keys, _accounts.LoadKeyRing());
        }
    }
}
