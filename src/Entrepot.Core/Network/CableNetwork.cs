using System.Collections.Frozen;
using System.Text.Json;

namespace Entrepot.Core.Network;

/// <summary>
/// The graph of landing stations, inference cities, cable segments and land links, immutable once
/// built. A round trip is estimated as path length x 4.9 µs/km x 2 plus <see cref="HopMs"/> per
/// link (the equipment at each end of a segment: landing station, router, regenerators), over the
/// shortest path that avoids cut cables.
/// </summary>
public sealed class CableNetwork
{
    /// <summary>
    /// Cost of each link of a path, in milliseconds of round trip: the landing station's terminal
    /// equipment, the backhaul to a point of presence and the routers there. Fitted once against the
    /// five published round trips in docs/NETWORK.md (1 ms left Hong Kong-Frankfurt 31% short:
    /// real traffic does not stitch five cables together at beach landings for free); not tuned per pair.
    /// </summary>
    public const double HopMs = 3.0;

    /// <summary>Round trip within one city (two data centres in the same metro).</summary>
    public const double SameCityMs = 0.5;

    private readonly FrozenDictionary<string, NetworkLocation> _locations;
    private readonly FrozenDictionary<string, NetworkLink[]> _adjacency;
    private readonly FrozenDictionary<string, Cable> _cables;

    private CableNetwork(Dictionary<string, NetworkLocation> locations, List<Cable> cables, List<NetworkLink> links)
    {
        _locations = locations.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _cables = cables.ToFrozenDictionary(c => c.Id, StringComparer.OrdinalIgnoreCase);
        Cables = cables;
        Links = links;
        Locations = locations.Values.OrderBy(l => l.Locode, StringComparer.Ordinal).ToArray();
        _adjacency = links
            .SelectMany(l => new[] { (Key: l.From, Link: l), (Key: l.To, Link: l) })
            .GroupBy(x => x.Key, StringComparer.OrdinalIgnoreCase)
            .ToFrozenDictionary(g => g.Key, g => g.Select(x => x.Link).ToArray(), StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<NetworkLocation> Locations { get; }
    public IReadOnlyList<Cable> Cables { get; }
    public IReadOnlyList<NetworkLink> Links { get; }

    public NetworkLocation? Location(string locode) => _locations.GetValueOrDefault(locode);

    /// <summary>A cable by the id <c>--cut</c> accepts (case-insensitive), or by its exact name.</summary>
    public Cable? Cable(string idOrName) =>
        _cables.GetValueOrDefault(idOrName) ?? Cables.FirstOrDefault(c => string.Equals(c.Name, idOrName, StringComparison.OrdinalIgnoreCase));

    /// <summary>The network shipped with the program (data/network.json, embedded).</summary>
    public static CableNetwork Default => s_default.Value;

    private static readonly Lazy<CableNetwork> s_default = new(() =>
    {
        using var stream = typeof(CableNetwork).Assembly.GetManifestResourceStream("network.json")
            ?? throw new InvalidOperationException("network.json is not embedded in Entrepot.Core.");
        return Load(stream);
    });

    public static CableNetwork Load(Stream json)
    {
        NetworkData? data;
        try
        {
            data = JsonSerializer.Deserialize(json, NetworkJsonContext.Default.NetworkData);
        }
        catch (JsonException e)
        {
            throw new FormatException($"network data is not valid JSON: {e.Message}", e);
        }

        return Build(data ?? throw new FormatException("network data is empty."));
    }

    /// <summary>Validates the data (naming the first bad entry) and builds the graph.</summary>
    public static CableNetwork Build(NetworkData data)
    {
        var locations = new Dictionary<string, NetworkLocation>(StringComparer.OrdinalIgnoreCase);
        foreach (var l in data.Locations)
        {
            if (l.Locode is null || l.Locode.Length != 5 || !l.Locode.All(char.IsAsciiLetterOrDigit))
            {
                throw new FormatException($"location '{l.Locode}': 'locode' must be a 5-character UN/LOCODE such as SGSIN.");
            }

            if (l.Latitude is not (>= -90 and <= 90) || l.Longitude is not (>= -180 and <= 180))
            {
                throw new FormatException($"location '{l.Locode}': 'latitude' and 'longitude' must be degrees.");
            }

            if (string.IsNullOrWhiteSpace(l.Source))
            {
                throw new FormatException($"location '{l.Locode}': 'source' is required.");
            }

            var code = l.Locode.ToUpperInvariant();
            if (!locations.TryAdd(code, new NetworkLocation(code, l.Name ?? code, (l.Country ?? code[..2]).ToUpperInvariant(),
                    new GeoPoint(l.Latitude.Value, l.Longitude.Value), l.Inference, l.Source)))
            {
                throw new FormatException($"location '{code}' is listed twice.");
            }
        }

        NetworkLocation At(string? code, string where) =>
            code is not null && locations.TryGetValue(code, out var loc) ? loc
                : throw new FormatException($"{where}: unknown location '{code}'.");

        var cables = new List<Cable>();
        var links = new List<NetworkLink>();
        var ids = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var c in data.Cables)
        {
            if (c.Id is null || !ids.Add(c.Id) || c.Id.Length > 40 || !c.Id.All(ch => char.IsAsciiLetterLower(ch) || char.IsAsciiDigit(ch) || ch == '-'))
            {
                throw new FormatException($"cable '{c.Id}': 'id' must be unique, lowercase letters, digits and '-'.");
            }

            if (c.LengthKm is not > 0 || c.ReadyForService is not (>= 1980 and <= 2040) || string.IsNullOrWhiteSpace(c.Source) || c.Segments.Count == 0)
            {
                throw new FormatException($"cable '{c.Id}': 'length_km', 'ready_for_service', 'segments' and 'source' are required.");
            }

            var segments = new List<(string, string, double)>();
            foreach (var s in c.Segments)
            {
                if (s.Count != 2)
                {
                    throw new FormatException($"cable '{c.Id}': each segment is a pair of LOCODEs.");
                }

                var a = At(s[0], $"cable '{c.Id}'");
                var b = At(s[1], $"cable '{c.Id}'");
                segments.Add((a.Locode, b.Locode, a.Point.DistanceKmTo(b.Point)));
            }

            // The published length covers the whole system; never charge less than the straight line.
            var straight = segments.Sum(s => s.Item3);
            var scale = Math.Max(1.0, c.LengthKm.Value / Math.Max(straight, 1));
            var cable = new Cable(c.Id, c.Name ?? c.Id, c.LengthKm.Value, c.ReadyForService.Value,
                segments.Select(s => (s.Item1, s.Item2)).ToArray(), scale, c.Source);
            cables.Add(cable);
            links.AddRange(segments.Select(s => new NetworkLink(s.Item1, s.Item2, s.Item3 * scale, cable)));
        }

        foreach (var l in data.LandLinks)
        {
            var a = At(l.From, "land link");
            var b = At(l.To, "land link");
            if (l.RouteFactor is not (>= 1 and <= 3) || string.IsNullOrWhiteSpace(l.Source))
            {
                throw new FormatException($"land link {a.Locode}-{b.Locode}: 'route_factor' (1-3) and 'source' are required.");
            }

            links.Add(new NetworkLink(a.Locode, b.Locode, a.Point.DistanceKmTo(b.Point) * l.RouteFactor.Value, null));
        }

        return new CableNetwork(locations, cables, links);
    }

    /// <summary>The fastest path from one location to another avoiding the cut cables, or null when none is left.</summary>
    public NetworkRoute? Route(string from, string to, IReadOnlySet<string>? cut = null)
    {
        var start = Location(from) ?? throw new ArgumentException($"unknown location '{from}'.", nameof(from));
        var end = Location(to) ?? throw new ArgumentException($"unknown location '{to}'.", nameof(to));
        if (start.Locode == end.Locode)
        {
            return new NetworkRoute([start.Locode], [], 0, SameCityMs);
        }

        // Dijkstra on round-trip milliseconds; the graph has a few hundred edges.
        var best = new Dictionary<string, double>(StringComparer.Ordinal) { [start.Locode] = 0 };
        var via = new Dictionary<string, NetworkLink>(StringComparer.Ordinal);
        var queue = new PriorityQueue<string, double>();
        queue.Enqueue(start.Locode, 0);
        while (queue.TryDequeue(out var node, out var cost))
        {
            if (cost > best[node])
            {
                continue;
            }

            if (node == end.Locode)
            {
                break;
            }

            foreach (var link in _adjacency.GetValueOrDefault(node) ?? [])
            {
                if (link.Cable is { } c && cut is not null && cut.Contains(c.Id))
                {
                    continue;
                }

                var next = link.From == node ? link.To : link.From;
                var nextCost = cost + LinkMs(link);
                if (nextCost < best.GetValueOrDefault(next, double.MaxValue))
                {
                    best[next] = nextCost;
                    via[next] = link;
                    queue.Enqueue(next, nextCost);
                }
            }
        }

        if (!best.TryGetValue(end.Locode, out var total))
        {
            return null;
        }

        var path = new List<string> { end.Locode };
        var used = new List<NetworkLink>();
        for (var at = end.Locode; at != start.Locode;)
        {
            var link = via[at];
            used.Add(link);
            at = link.From == at ? link.To : link.From;
            path.Add(at);
        }

        path.Reverse();
        used.Reverse();
        return new NetworkRoute(path, used, used.Sum(l => l.Km), total);
    }

    /// <summary>The inference city (else any location) nearest a point, within <paramref name="maxKm"/>.</summary>
    public NetworkLocation? Nearest(GeoPoint point, double maxKm = 300)
    {
        NetworkLocation? best = null;
        var bestKm = double.MaxValue;
        foreach (var l in Locations)
        {
            // Prefer inference cities: a data centre is far likelier in a city than at a beach landing.
            var km = point.DistanceKmTo(l.Point) * (l.Inference ? 1.0 : 1.5);
            if (km < bestKm)
            {
                best = l;
                bestKm = km;
            }
        }

        return bestKm <= maxKm ? best : null;
    }

    private static double LinkMs(NetworkLink link) =>
        link.Km * LatencyEstimate.MicrosecondsPerKm * 2 / 1000.0 + HopMs;
}
