using Entrepot.Core.Market;
using Entrepot.Core.Network;
using Entrepot.Core.Routing;

namespace Entrepot.Core.Tests;

internal static class TestMarket
{
    public static readonly GeoPoint Frankfurt = new(50.11, 8.68);

    public static Provider Provider(string id, string jurisdiction, decimal input, decimal output, GeoPoint? at = null, string model = "m", string currency = "USD") => new()
    {
        Id = id,
        Kind = ProviderKind.Exporter,
        BaseUrl = new Uri($"http://127.0.0.1:1/{id}/"),
        Jurisdiction = jurisdiction,
        Location = at,
        Models = [model],
        Price = new Price(input, output, currency),
    };

    /// <summary>Four sellers: cheap and far (CN), dear and near (DE), middling (US, SG).</summary>
    public static RouteTable Table(TimeProvider? time = null) => new(
    [
        Provider("cn", "CN", 0.28m, 0.42m, new GeoPoint(31.23, 121.47)),
        Provider("de", "DE", 0.50m, 1.50m, new GeoPoint(50.11, 8.68)),
        Provider("us", "US", 0.15m, 0.60m, new GeoPoint(39.04, -77.49)),
        Provider("sg", "SG", 0.40m, 1.20m, new GeoPoint(1.29, 103.85)),
    ], Frankfurt, time ?? TimeProvider.System, null);

    public static List<string> Plan(RouteTable table, ProviderPreferences prefs, SortBy sort = SortBy.Balanced, string model = "m")
    {
        var result = new List<Candidate>();
        var failure = Router.Plan(table, model, prefs, sort, result);
        Assert.Equal(RouteFailure.None, failure);
        return result.Select(c => c.Provider.Id).ToList();
    }
}
