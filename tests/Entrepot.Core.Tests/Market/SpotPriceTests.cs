using Entrepot.Core.Market;

namespace Entrepot.Core.Tests.Market;

public class SpotPriceTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.5, 1.0)]
    [InlineData(0.75, 1.25)]
    [InlineData(1.0, 1.5)]
    [InlineData(1.5, 2.0)]
    [InlineData(9.0, 2.0)]
    [InlineData(double.NaN, 1.0)]
    public void Multiplier_FollowsLoad_Bounded(double load, double expected) =>
        Assert.Equal((decimal)expected, SpotPrice.Multiplier(load));

    [Fact]
    public void Load_CountsQueueAgainstCapacity()
    {
        Assert.Equal(1.5, SpotPrice.Load(4, 2, 4));
        Assert.Equal(0, SpotPrice.Load(3, 0, 0));
    }

    [Fact]
    public void Of_ScalesBothPrices_KeepsCurrency()
    {
        var spot = SpotPrice.Of(new Price(0.40m, 1.20m, "EUR"), 1.0);
        Assert.Equal(new Price(0.60m, 1.80m, "EUR"), spot);
        var idle = new Price(1m, 2m);
        Assert.Same(idle, SpotPrice.Of(idle, 0.2));
    }
}
