using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Tests.Border;

/// <summary>Subject counts are per buyer: one buyer's identifiers, however many, count against it alone;
/// every subject is counted; what no period reaches is forgotten.</summary>
public sealed class SubjectCounterTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static SubjectId[] Ids(int from, int count) => Enumerable.Range(from, count).Select(i => new SubjectId((UInt128)i)).ToArray();

    [Fact]
    public void OneBuyersSubjects_CountAgainstThatBuyerAlone_AndAreNeverCapped()
    {
        var counter = new SubjectCounter();
        var flooder = new SubjectScope("flooder", "US", "cn-seller", DataCategory.Health);
        var honest = flooder with { Holder = "honest" };

        // A million synthetic patients from one buyer: every one is counted.
        counter.Record(flooder, Now, Ids(1, 1_000_000));
        Assert.Equal(1_000_001, counter.CountWith(flooder, Now.AddYears(-1), Ids(2_000_000, 1)));

        // Another buyer of the same country to the same seller starts from its own count.
        Assert.Equal(1, counter.CountWith(honest, Now.AddYears(-1), Ids(5, 1)));
        counter.Record(honest, Now, Ids(5, 3));
        Assert.Equal(3, counter.CountWith(honest, Now.AddYears(-1), []));
    }

    [Fact]
    public void CountsFromBeforeHolders_CountForEveryHolder_Once()
    {
        var counter = new SubjectCounter();
        var scope = new SubjectScope("buyer-a", "US", "cn-seller", DataCategory.Health);
        foreach (var id in Ids(1, 10))
        {
            counter.Load(scope.Legacy, id, Now.AddDays(-2));
        }

        // Subjects 5..14 sent by the buyer since: 5..10 are the same people, counted once.
        counter.Record(scope, Now.AddDays(-1), Ids(5, 10));
        Assert.Equal(14, counter.CountWith(scope, Now.AddYears(-1), Ids(1, 3)));
        Assert.Equal(11, counter.CountWith(scope with { Holder = "buyer-b" }, Now.AddYears(-1), Ids(100, 1)));
    }

    [Fact]
    public void Pruning_ForgetsOnlyWhatNoPeriodReaches()
    {
        var counter = new SubjectCounter();
        var scope = new SubjectScope("buyer", "US", "cn-seller", DataCategory.Health);
        var other = scope with { Counterparty = "other-seller" };
        counter.Record(scope, Now.AddMonths(-13), Ids(1, 100));
        counter.Record(scope, Now.AddMonths(-11), Ids(101, 50));
        counter.Record(other, Now.AddMonths(-14), Ids(1, 20));
        DateTimeOffset? pruned = null;
        counter.Pruned += h => pruned = h;

        var horizon = ThresholdPeriods.Horizon(Now);
        Assert.Equal(Now.AddMonths(-12), horizon); // the rolling twelve months reach furthest back
        Assert.Equal(120, counter.Prune(horizon));
        Assert.Equal(horizon, pruned);
        Assert.Equal(50, counter.Count);
        Assert.Equal(50, counter.CountWith(scope, ThresholdPeriod.Rolling12Months.Start(Now), []));
        Assert.Equal(0, counter.CountWith(other, ThresholdPeriod.Rolling12Months.Start(Now), []));

        // A subject sent again after its scope emptied is counted afresh.
        counter.Record(other, Now, Ids(1, 1));
        Assert.Equal(1, counter.CountWith(other, ThresholdPeriod.CalendarYear.Start(Now), []));
        Assert.Equal(51, counter.Count);
    }

    [Fact]
    public async Task PruningWhileRecording_LosesNoRecord()
    {
        var counter = new SubjectCounter();
        var scopes = Enumerable.Range(0, 8).Select(i => new SubjectScope("b" + i, "US", "s", DataCategory.Health)).ToArray();
        using var stop = new CancellationTokenSource();
        var pruner = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                counter.Prune(Now.AddDays(-1));
            }
        });
        await Task.WhenAll(scopes.Select(scope => Task.Run(() =>
        {
            for (int i = 0; i < 2_000; i++)
            {
                counter.Record(scope, Now, Ids(i, 1));
            }
        })));
        await stop.CancelAsync();
        await pruner;
        Assert.All(scopes, s => Assert.Equal(2_000, counter.CountWith(s, Now.AddDays(-1), [])));
        Assert.Equal(16_000, counter.Count);
    }
}
