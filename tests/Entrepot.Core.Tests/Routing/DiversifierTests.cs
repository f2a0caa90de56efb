using Entrepot.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Entrepot.Core.Tests.Routing;

public class DiversifierTests
{
    [Fact]
    public void OnceAJurisdictionReachesItsCap_ItsSellersWaitBehindTheOthers_UntilTheWindowSlides()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        var d = new Diversifier(time);
        d.Set("buyer", new DiversificationPolicy(0.6, null, TimeSpan.FromMinutes(60), MinTokens: 100));
        var cn = new Candidate(TestMarket.Provider("cn", "CN", 0.1m, 0.1m), new ProviderHealth(time), 10);
        var us = new Candidate(TestMarket.Provider("us", "US", 1m, 1m), new ProviderHealth(time), 10);

        var ranked = new List<Candidate> { cn, us };
        Assert.Null(d.Apply("buyer", ranked)); // nothing traded yet
        d.Record("buyer", "CN", "cn", 60);
        Assert.Null(d.Apply("buyer", ranked)); // under min_tokens
        d.Record("buyer", "CN", "cn", 60);
        Assert.Equal(["cn"], d.Apply("buyer", ranked)); // 100% CN of 120 tokens
        Assert.Equal([us, cn], ranked);

        d.Record("buyer", "US", "us", 120);
        ranked = [cn, us];
        Assert.Null(d.Apply("buyer", ranked)); // 50% CN: under the cap again
        Assert.Equal([cn, us], ranked);

        d.Record("buyer", "CN", "cn", 200);
        Assert.Equal(["cn"], d.Apply("buyer", ranked = [cn, us])); // 320/440 = 73%
        time.Advance(TimeSpan.FromMinutes(61));
        Assert.Null(d.Apply("buyer", ranked = [cn, us])); // the window slid past it all
        Assert.Null(d.Apply("other-buyer", ranked)); // no policy, no change
    }

    [Fact]
    public void WhenEverySellerIsCapped_TheRankingStands()
    {
        var time = new FakeTimeProvider();
        var d = new Diversifier(time);
        d.Set("b", new DiversificationPolicy(null, 0.4, TimeSpan.FromMinutes(10), 1));
        var a = new Candidate(TestMarket.Provider("a", "CN", 1m, 1m), new ProviderHealth(time), 10);
        var b = new Candidate(TestMarket.Provider("b", "CN", 1m, 1m), new ProviderHealth(time), 10);
        d.Record("b", "CN", "a", 50);
        d.Record("b", "CN", "b", 50);
        var ranked = new List<Candidate> { a, b };
        Assert.Null(d.Apply("b", ranked));
        Assert.Equal([a, b], ranked);
    }
}

public class MeasuredLatencyTests
{
    [Fact]
    public void MeasuredTimeToFirstByte_ReplacesTheNetworkEstimate_OnceThereAreEnoughSamples()
    {
        var health = new ProviderHealth(TimeProvider.System);
        var c = new Candidate(TestMarket.Provider("far", "SG", 1m, 1m), health, EstimatedRoundTripMs: 160);
        for (var i = 0; i < ProviderHealth.MinSamples - 1; i++)
        {
            health.RecordFirstByte(40);
            Assert.Equal(160, c.LatencyMs);
        }

        health.RecordFirstByte(40);
        Assert.Equal(40, c.LatencyMs);
        health.RecordFirstByte(90); // an EWMA: one slow answer moves it a fifth of the way
        Assert.Equal(50, c.LatencyMs, 6);
    }
}
