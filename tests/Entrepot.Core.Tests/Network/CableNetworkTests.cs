using System.Text.Json;
using Entrepot.Core.Network;

namespace Entrepot.Core.Tests.Network;

public class CableNetworkTests
{
    private static readonly CableNetwork Net = CableNetwork.Default;

    private static readonly string[] RedSea = ["aae-1", "seamewe-4", "seamewe-5", "seamewe-6", "imewe", "eig", "peace", "fea"];

    [Fact]
    public void ShippedData_HasTheMajorCables_EachWithLengthYearAndSource()
    {
        Assert.Equal(29, Net.Cables.Count); // data/network.json lists 29 cables
        foreach (var c in Net.Cables)
        {
            Assert.False(string.IsNullOrWhiteSpace(c.Source), c.Id);
            Assert.InRange(c.ReadyForService, 1990, 2030);
            // The published length must cover the straight-line distance of its segments, and not by absurd margins.
            var straight = c.Segments.Sum(s => Net.Location(s.From)!.Point.DistanceKmTo(Net.Location(s.To)!.Point));
            Assert.InRange(c.LengthKm / straight, 0.95, 2.5);
        }

        foreach (var (id, km, year) in new[] { ("faster", 11629.0, 2016), ("aae-1", 25000.0, 2017), ("seamewe-5", 20000.0, 2016), ("peace", 21500.0, 2022), ("jupiter", 14557.0, 2020) })
        {
            var c = Net.Cable(id);
            Assert.NotNull(c);
            Assert.Equal(km, c.LengthKm);
            Assert.Equal(year, c.ReadyForService);
        }
    }

    [Fact]
    public void ShippedData_NamesPlacesByLocode_AndCoversTheInferenceCities()
    {
        foreach (var l in Net.Locations)
        {
            Assert.Matches("^[A-Z]{2}[A-Z2-9]{3}$", l.Locode);
            Assert.Equal(l.Locode[..2], l.Country);
            Assert.False(string.IsNullOrWhiteSpace(l.Source), l.Locode);
        }

        foreach (var code in new[] { "CNSHA", "HKHKG", "SGSIN", "JPTYO", "USLAX", "USSEA", "USIAD", "DEFRA", "FRMRS", "GBLON" })
        {
            Assert.True(Net.Location(code) is { Inference: true }, code);
        }

        // Every inference city reaches every other.
        var cities = Net.Locations.Where(l => l.Inference).ToList();
        foreach (var a in cities)
        {
            Assert.All(cities, b => Assert.NotNull(Net.Route(a.Locode, b.Locode)));
        }
    }

    [Theory]
    [InlineData("HKHKG", "USLAX", 150)]
    [InlineData("JPTYO", "USLAX", 103)]
    [InlineData("SGSIN", "FRMRS", 157)]
    [InlineData("SGSIN", "DEFRA", 179)]
    [InlineData("HKHKG", "DEFRA", 244)]
    public void Estimate_IsWithin25Percent_OfThePublishedMeasurement(string from, string to, double measuredMs)
    {
        var route = Net.Route(from, to);
        Assert.NotNull(route);
        Assert.InRange(route.RoundTripMs, measuredMs * 0.75, measuredMs * 1.25);
        // The formula, recomputed: path length x 4.9 µs/km x 2 plus the cost of each hop.
        Assert.Equal(route.Km * 4.9 * 2 / 1000 + route.Links.Count * CableNetwork.HopMs, route.RoundTripMs, 6);
    }

    [Fact]
    public void CuttingTheRedSeaCables_ReroutesSingaporeFrankfurt_TheLongWay()
    {
        var direct = Net.Route("SGSIN", "DEFRA")!;
        Assert.Contains(direct.Cables, RedSea.Contains);

        var cut = RedSea.Where(id => Net.Cable(id) is not null).ToHashSet();
        var detour = Net.Route("SGSIN", "DEFRA", cut);
        Assert.NotNull(detour);
        Assert.DoesNotContain(detour.Cables, cut.Contains);
        Assert.True(detour.RoundTripMs > direct.RoundTripMs + 20, $"{direct.RoundTripMs} -> {detour.RoundTripMs}");
        Assert.Equal("SGSIN", detour.Path[0]);
        Assert.Equal("DEFRA", detour.Path[^1]);
    }

    [Fact]
    public void WithEveryCableCut_AcrossTheOcean_IsUnreachable()
    {
        var all = Net.Cables.Select(c => c.Id).ToHashSet();
        Assert.Null(Net.Route("SGSIN", "USLAX", all));
        Assert.NotNull(Net.Route("DEFRA", "FRMRS", all)); // over land still
    }

    [Fact]
    public void SameCity_IsAMetroRoundTrip()
    {
        var r = Net.Route("DEFRA", "defra")!;
        Assert.Equal(CableNetwork.SameCityMs, r.RoundTripMs);
        Assert.Empty(r.Cables);
    }

    [Fact]
    public void Nearest_PlacesCoordinatesOnTheNetwork()
    {
        Assert.Equal("CNSHA", Net.Nearest(new GeoPoint(31.23, 121.47))?.Locode);
        Assert.Equal("DEFRA", Net.Nearest(new GeoPoint(50.0, 8.5))?.Locode);
        Assert.Null(Net.Nearest(new GeoPoint(-60, -120))); // the Southern Ocean: nowhere near
    }

    [Fact]
    public void BadData_IsRefused_NamingTheEntry()
    {
        var data = new NetworkData
        {
            Locations = [new LocationData { Locode = "SGSIN", Latitude = 1.3, Longitude = 103.8, Source = "s" }],
            Cables = [new CableData { Id = "x-1", LengthKm = 100, ReadyForService = 2020, Source = "s", Segments = [["SGSIN", "XXNOP"]] }],
        };
        var e = Assert.Throws<FormatException>(() => CableNetwork.Build(data));
        Assert.Contains("XXNOP", e.Message);

        var noSource = new NetworkData { Locations = [new LocationData { Locode = "SGSIN", Latitude = 1.3, Longitude = 103.8 }] };
        Assert.Contains("SGSIN", Assert.Throws<FormatException>(() => CableNetwork.Build(noSource)).Message);

        using var notJson = new MemoryStream("{"u8.ToArray());
        Assert.Throws<FormatException>(() => CableNetwork.Load(notJson));
    }

    [Fact]
    public void ShippedFile_IsTheEmbeddedOne()
    {
        using var file = File.OpenRead(Path.Combine(RepoPaths.Root, "data", "network.json"));
        var fromFile = CableNetwork.Load(file);
        Assert.Equal(Net.Cables.Count, fromFile.Cables.Count);
        Assert.Equal(Net.Locations.Count, fromFile.Locations.Count);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "data", "network.json")));
        Assert.True(doc.RootElement.TryGetProperty("about", out _));
    }
}
