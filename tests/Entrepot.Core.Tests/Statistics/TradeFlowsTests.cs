using Entrepot.Core.Statistics;

namespace Entrepot.Core.Tests.Statistics;

public class TradeFlowsTests
{
    [Fact]
    public void Balances_CountExportsForTheSellersCountry_AndImportsForTheBuyers()
    {
        var rows = new List<FlowRow>
        {
            new("2026-12-01", "DE", "CN", "USD", 3, 3000, 0.30m),
            new("2026-12-02", "DE", "CN", "USD", 1, 1000, 0.10m),
            new("2026-12-01", "DE", "US", "USD", 2, 500, 0.05m),
            new("2026-12-01", "CN", "US", "USD", 1, 100, 0.02m),
            new("2026-12-01", "DE", "DE", "USD", 9, 9000, 0.90m), // domestic: neither export nor import
        };
        var t = TradeFlows.Of(DateTimeOffset.Parse("2026-12-01T00:00:00Z"), DateTimeOffset.Parse("2026-12-03T00:00:00Z"), rows, topCorridors: 2);

        Assert.Equal(2, t.Corridors.Count);
        Assert.Equal(("DE", "CN", 4000L, 0.40m), (t.Corridors[0].Origin, t.Corridors[0].Destination, t.Corridors[0].Tokens, t.Corridors[0].Value));
        Assert.Equal(("DE", "US"), (t.Corridors[1].Origin, t.Corridors[1].Destination));

        var cn = t.Balances.Single(b => b.Jurisdiction == "CN");
        Assert.Equal((4000L, 100L, 0.40m, 0.02m, 0.38m), (cn.ExportTokens, cn.ImportTokens, cn.ExportValue, cn.ImportValue, cn.Balance));
        var de = t.Balances.Single(b => b.Jurisdiction == "DE");
        Assert.Equal(-0.45m, de.Balance);
        Assert.Equal(0m, t.Balances.Sum(b => b.Balance)); // every export is someone's import
        Assert.Equal("CN", t.Balances[0].Jurisdiction);

        var csv = new StringWriter();
        t.WriteCsv(csv);
        var lines = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + rows.Count + t.Balances.Count + t.Corridors.Count, lines.Length);
        Assert.Contains("balance,,,,CN,USD,,,,4000,100,0.40,0.02,0.38", lines);
    }

    [Theory]
    [InlineData("2026-11", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]
    [InlineData("2026-11-28", "2026-11-28T00:00:00Z", "2026-11-29T00:00:00Z")]
    [InlineData("2026", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")]
    [InlineData("7d", "2026-11-25T12:00:00Z", "2026-12-02T12:00:00Z")]
    public void Periods(string period, string since, string until)
    {
        Assert.True(TradeFlows.TryParsePeriod(period, DateTimeOffset.Parse("2026-12-02T12:00:00Z"), out var s, out var u));
        Assert.Equal(DateTimeOffset.Parse(since), s);
        Assert.Equal(DateTimeOffset.Parse(until), u);
    }

    [Theory]
    [InlineData("")]
    [InlineData("last month")]
    [InlineData("0d")]
    [InlineData("2026-13")]
    public void BadPeriods_AreRefused(string period) =>
        Assert.False(TradeFlows.TryParsePeriod(period, DateTimeOffset.UtcNow, out _, out _));
}
