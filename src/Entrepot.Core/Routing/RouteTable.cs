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

    public RouteTable(IEnumerable<Provider> providers, GeoPoint? exchangeLocation, TimeProvider time, RouteTable? previous)
    {
        var all = new List<Candidate>();
        foreach (var p in providers)
        {
            var health = previous?.Find(p.Id)?.Health ?? new ProviderHealth(time);
            var rtt = exchangeLocation is { } here && p.Location is { } there ? LatencyEstimate.RoundTripMs(here, there) : 50.0;
            all.Add(new Candidate(p, health, rtt));
        }

        All = all;
        _byModel = all
            .SelectMany(c => c.Provider.Models.Select(m => (Model: m, Candidate: c)))
            .GroupBy(x => x.Model, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Candidate).ToArray(), StringComparer.Ordinal);
        Models = _byModel.Keys.Order(StringComparer.Ordinal).ToArray();
    }

    public IReadOnlyList<Candidate> All { get; }
    public IReadOnlyList<string> Models { get; }

    public IReadOnlyList<Candidate> ServingModel(string model) =>
        _byModel.TryGetValue(model, out var list) ? list : [];

    public Candidate? Find(string providerId) =>
        All.FirstOrDefault(c => string.Equals(c.Provider.Id, providerId, StringComparison.Ordinal));
}
