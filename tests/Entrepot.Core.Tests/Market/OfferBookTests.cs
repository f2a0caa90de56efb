using Entrepot.Core.Market;
using Microsoft.Extensions.Time.Testing;

namespace Entrepot.Core.Tests.Market;

public class OfferBookTests
{
    private static Offer At(FakeTimeProvider time, long seq, int inFlight = 0) =>
        new("n1", ["m"], new Price(1, 2), 4, inFlight, 0, seq, TimeSpan.FromSeconds(5), time.GetUtcNow());

    [Fact]
    public void ANodeThatStopsHeartbeating_LeavesAfterThreeIntervals_AndRejoinsWhenItBeatsAgain()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T00:00:00Z"));
        var book = new OfferBook(time);
        var changes = 0;
        book.Changed += () => changes++;
        Assert.Null(book.Publish(At(time, 1)));
        time.Advance(TimeSpan.FromSeconds(14));
        Assert.Empty(book.Expire());
        Assert.NotNull(book.Get("n1"));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(["n1"], book.Expire());
        Assert.Null(book.Get("n1"));
        Assert.True(book.HasLeft("n1"));

        Assert.Null(book.Publish(At(time, 2)));
        Assert.False(book.HasLeft("n1"));
        Assert.Equal(3, changes);
    }

    [Fact]
    public void AReplayedHeartbeat_CannotRollTheOfferBack()
    {
        var time = new FakeTimeProvider();
        var book = new OfferBook(time);
        Assert.Null(book.Publish(At(time, 10, inFlight: 4)));
        Assert.Contains("not after", book.Publish(At(time, 10, inFlight: 0)));
        Assert.Contains("not after", book.Publish(At(time, 9, inFlight: 0)));
        Assert.Equal(1.0, book.Get("n1")!.Load);
    }

    [Fact]
    public void Heartbeat_NamesTheFirstWrongField()
    {
        var now = DateTimeOffset.UtcNow;
        var good = new Heartbeat { NodeId = "n1", Sequence = 1, IntervalSeconds = 5, Models = ["m"], Price = new PriceSpec { Input = 1, Output = 2 }, Capacity = 4, InFlight = 1, Queued = 0 };
        Assert.NotNull(good.ToOffer(now, out _, out _));
        foreach (var (bad, field) in new (Heartbeat, string)[]
        {
            (good with { Sequence = 0 }, "sequence"),
            (good with { IntervalSeconds = 0.1 }, "interval_seconds"),
            (good with { Models = [] }, "models"),
            (good with { Price = new PriceSpec { Input = -1, Output = 2 } }, "price"),
            (good with { Price = new PriceSpec { Input = 1, Output = 2, Currency = "dollars" } }, "price"),
            (good with { Capacity = 0 }, "capacity"),
            (good with { Queued = -1 }, "queued"),
        })
        {
            Assert.Null(bad.ToOffer(now, out var error, out var named));
            Assert.Equal(field, named);
            Assert.Contains(field, error);
        }
    }
}
