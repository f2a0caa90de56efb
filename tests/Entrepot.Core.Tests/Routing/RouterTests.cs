using Entrepot.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Entrepot.Core.Tests.Routing;

public class RouterTests
{
    [Fact]
    public void Plan_SortByPrice_CheapestBlendedPriceFirst()
    {
        // Blended = input + output: cn 0.70, us 0.75, sg 1.60, de 2.00.
        Assert.Equal(["cn", "us", "sg", "de"], TestMarket.Plan(TestMarket.Table(), ProviderPreferences.None, SortBy.Price));
    }

    [Fact]
    public void Plan_SortByLatency_NearestFirst()
    {
        // From Frankfurt: de (same city), us (~6,500 km), cn (~8,900 km), sg (~10,300 km).
        Assert.Equal(["de", "us", "cn", "sg"], TestMarket.Plan(TestMarket.Table(), ProviderPreferences.None, SortBy.Latency));
    }

    [Fact]
    public void Plan_Balanced_NearSellerWinsWhenPricesAreClose()
    {
        var order = TestMarket.Plan(TestMarket.Table(), ProviderPreferences.None);
        Assert.Equal("de", order[0]);
        Assert.Equal(4, order.Count);
    }

    [Fact]
    public void Plan_PreferenceSortOverridesDefault()
    {
        var order = TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { Sort = SortBy.Price }, SortBy.Latency);
        Assert.Equal("cn", order[0]);
    }

    [Fact]
    public void Plan_Throughput_UsesMeasurementsOnceEnoughSamples()
    {
        var table = TestMarket.Table();
        for (var i = 0; i < ProviderHealth.MinSamples; i++)
        {
            table.Find("sg")!.Health.RecordThroughput(1000, 1000); // 1,000 tokens/s
            table.Find("us")!.Health.RecordThroughput(10, 1000);   // 10 tokens/s
        }

        var order = TestMarket.Plan(table, ProviderPreferences.None, SortBy.Throughput);
        Assert.Equal("sg", order[0]);
        Assert.Equal("us", order[^1]);
    }

    [Fact]
    public void Plan_Order_ListedProvidersFirstInThatOrder()
    {
        var order = TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { Order = ["sg", "cn"] }, SortBy.Price);
        Assert.Equal(["sg", "cn", "us", "de"], order);
    }

    [Fact]
    public void Plan_OrderWithoutFallbacks_OnlyListedProviders()
    {
        var order = TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { Order = ["sg", "cn"], AllowFallbacks = false });
        Assert.Equal(["sg", "cn"], order);
    }

    [Fact]
    public void Plan_NoFallbacksNoOrder_OnlyTheBest()
    {
        var order = TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { AllowFallbacks = false }, SortBy.Price);
        Assert.Equal(["cn"], order);
    }

    [Fact]
    public void Plan_OnlyAndIgnore_Filter()
    {
        Assert.Equal(["us", "de"], TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { Only = ["de", "us"] }, SortBy.Price));
        Assert.Equal(["us", "sg", "de"], TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { Ignore = ["cn"] }, SortBy.Price));
    }

    [Fact]
    public void Plan_Jurisdictions_AllowAndExclude_CaseInsensitive()
    {
        Assert.Equal(["sg"], TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { Jurisdictions = ["sg"] }));
        Assert.DoesNotContain("cn", TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { ExcludeJurisdictions = ["CN"] }));
    }

    [Fact]
    public void Plan_MaxPrice_ExcludesDearerSellers()
    {
        var order = TestMarket.Plan(TestMarket.Table(), new ProviderPreferences { MaxPromptPrice = 0.30m, MaxCompletionPrice = 1.0m }, SortBy.Price);
        Assert.Equal(["cn", "us"], order);
    }

    [Fact]
    public void Plan_MaxPrice_NonUsdSellerIsNotAssumedCheap()
    {
        var table = new RouteTable([TestMarket.Provider("cny", "CN", 0.01m, 0.01m, currency: "CNY")], null, TimeProvider.System, null);
        var result = new List<Candidate>();
        Assert.Equal(RouteFailure.ExcludedByPreferences, Router.Plan(table, "m", new ProviderPreferences { MaxPromptPrice = 10 }, SortBy.Price, result));
    }

    [Fact]
    public void Plan_MaxPrice_NonUsdSellerIsComparedAtTheRateTable()
    {
        var table = new RouteTable([TestMarket.Provider("cny", "CN", 7m, 14m, currency: "CNY")], null, TimeProvider.System, null);
        var rates = new global::Entrepot.Core.Market.ExchangeRates("USD", new Dictionary<string, decimal> { ["CNY"] = 7m }, "test table", "2026-11-27");
        var result = new List<Candidate>();
        // 7 and 14 CNY per million are 1 and 2 USD.
        Assert.Equal(RouteFailure.None, Router.Plan(table, "m", new ProviderPreferences { MaxPromptPrice = 1m, MaxCompletionPrice = 2m }, SortBy.Price, result, rates));
        Assert.Equal(RouteFailure.ExcludedByPreferences, Router.Plan(table, "m", new ProviderPreferences { MaxPromptPrice = 0.99m }, SortBy.Price, result, rates));
    }

    [Fact]
    public void Plan_UnknownModel_SaysSo()
    {
        var result = new List<Candidate>();
        Assert.Equal(RouteFailure.UnknownModel, Router.Plan(TestMarket.Table(), "nope", ProviderPreferences.None, SortBy.Price, result));
        Assert.Empty(result);
    }

    [Fact]
    public void Plan_EverythingExcluded_SaysExcludedByPreferences()
    {
        var result = new List<Candidate>();
        Assert.Equal(RouteFailure.ExcludedByPreferences,
            Router.Plan(TestMarket.Table(), "m", new ProviderPreferences { Jurisdictions = ["FR"] }, SortBy.Price, result));
    }

    [Fact]
    public void Plan_OpenCircuit_GoesLastButStaysAsLastResort()
    {
        var time = new FakeTimeProvider();
        var table = TestMarket.Table(time);
        var cn = table.Find("cn")!;
        for (var i = 0; i < cn.Health.Circuit.FailureThreshold; i++)
        {
            cn.Health.RecordFailure();
        }

        Assert.Equal(["us", "sg", "de", "cn"], TestMarket.Plan(table, ProviderPreferences.None, SortBy.Price));
        time.Advance(cn.Health.Circuit.Cooldown + TimeSpan.FromSeconds(1));
        Assert.Equal("cn", TestMarket.Plan(table, ProviderPreferences.None, SortBy.Price)[0]);
    }

    [Fact]
    public void RouteTable_Reload_KeepsObservedHealth()
    {
        var first = TestMarket.Table();
        first.Find("de")!.Health.RecordFailure();
        var second = new RouteTable(first.All.Select(c => c.Provider), TestMarket.Frankfurt, TimeProvider.System, first);
        Assert.Equal(1, second.Find("de")!.Health.Failures);
    }
}
