using System.Collections.Frozen;
using Entrepot.Core.Market;
using Entrepot.Core.Network;

namespace Entrepot.Core.Routing;

/// <summary>
/// An immutable snapshot of every provider and its health, indexed by model. The exchange holds
/// one through a single reference and swaps it whole when providers change; health objects are
/// carried over so a reload does not forget what was observed.
/// </summary>
public sealed class RouteTable
{
    private readonly FrozenDictionary<string, Candidate[]> _byModel;

    public static readonly RouteTable Empty = new([], null, TimeProvider.System, null);

    /// <summary>A table whose estimates are straight-line distances from the exchange (no cable network).</summary>
    public RouteTable(IEnumerable<Provider> providers, GeoPoint? exchangeLocation, TimeProvider time, RouteTable? previous)
        : this(providers, p => new Quote(StraightLineMs(exchangeLocation, p), true, p.Price, 0), time, previous)
    {
    }

    /// <param name="departed">Sellers that left the market (stopped heartbeating): kept in <see cref="All"/>
    /// for status pages, never offered for a model.</param>
    public RouteTable(IEnumerable<Provider> providers, Func<Provider, Quote> quote, TimeProvider time, RouteTable? previous, IEnumerable<Provider>? departed = null)
    {
        var all = new List<Candidate>();
        foreach (var p in providers)
        {
            var health = previous?.Find(p.Id)?.Health ?? new ProviderHealth(time);
            var q = quote(p);
            all.Add(new Candidate(p, health, q.RoundTripMs) { Reachable = q.Reachable, SpotPrice = q.SpotPrice, Load = q.Load, Path = q.Path });
        }

        var listed = all.ToArray();
        foreach (var p in departed ?? [])
        {
            all.Add(new Candidate(p, previous?.Find(p.Id)?.Health ?? new ProviderHealth(time), 0) { InMarket = false });
        }

        All = all;
        _byModel = listed
            .SelectMany(c => c.Provider.Models.Select(m => (Model: m, Candidate: c)))
            .GroupBy(x => x.Model, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Candidate).ToArray(), StringComparer.Ordinal);
        Models = _byModel.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    public static double StraightLineMs(GeoPoint? exchangeLocation, Provider p) =>
        exchangeLocation is { } here && p.Location is { } there ? LatencyEstimate.RoundTripMs(here, there) : 50.0;

    public IReadOnlyList<Candidate> All { get; }
    public IReadOnlyList<string> Models { get; }

    public IReadOnlyList<Candidate> ServingModel(string model) =>
        _byModel.TryGetValue(model, out var list) ? list : [];

    public Candidate? Find(string providerId) =>
        All.FirstOrDefault(c => string.Equals(c.Provider.Id, providerId, StringComparison.Ordinal));
}
