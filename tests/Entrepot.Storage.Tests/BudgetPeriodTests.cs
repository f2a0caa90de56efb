using Entrepot.Core.Budgets;
using Entrepot.Storage.Redis;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Entrepot.Storage.Tests;

/// <summary>
/// A day budget starts again at midnight UTC, a month budget on the first of the month, a total one
/// never; the same in one node's memory and in the Redis a cluster shares.
/// </summary>
public sealed class BudgetPeriodTests
{
    public static TheoryData<string> Books => new() { "memory", "redis" };

    private static async Task<(IBudgetBook Book, IDisposable? Owner)> Open(string kind, TimeProvider time)
    {
        if (kind == "memory")
        {
            return (new BudgetBook(time), null);
        }

        var redis = await ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS")
            ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run the tests with ./test.sh."));
        var book = new RedisBudgetBook(redis, time, "period-" + Guid.NewGuid().ToString("N")[..8] + ":", "a");
        return (book, new Both(book, redis));
    }

    private sealed class Both(IDisposable a, IDisposable b) : IDisposable
    {
        public void Dispose()
        {
            a.Dispose();
            b.Dispose();
        }
    }

    private static async Task<bool> Spend(IBudgetBook book, string scope, decimal amount)
    {
        var (hold, _) = await book.TryHoldAsync([scope], amount);
        if (hold is null)
        {
            return false;
        }

        hold.Settle(amount);
        for (var i = 0; i < 500 && book is RedisBudgetBook { Settling: > 0 }; i++)
        {
            await Task.Delay(10); // the shared book settles without waiting for Redis's answer
        }

        return true;
    }

    [Theory]
    [MemberData(nameof(Books))]
    public async Task ADayBudget_StartsAgainAtMidnightUtc(string kind)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 23, 59, 30, TimeSpan.Zero));
        var (book, owner) = await Open(kind, time);
        using var _ = owner;
        book.Set(new Budget("account:d", 1m, "USD", BudgetPeriod.Day, Version: 1));
        Assert.True(await Spend(book, "account:d", 0.8m));
        Assert.False(await Spend(book, "account:d", 0.5m)); // 0.2 left today
        time.Advance(TimeSpan.FromSeconds(31)); // 2026-12-04T00:00:01Z
        Assert.True(await Spend(book, "account:d", 0.5m));
        Assert.Equal(0.5m, (await book.StatusAsync("account:d"))!.Value.Spent);
        Assert.False(await Spend(book, "account:d", 0.6m)); // 0.5 left of the new day
    }

    [Theory]
    [MemberData(nameof(Books))]
    public async Task AMonthBudget_StartsAgainOnTheFirst_ATotalOneNever(string kind)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 31, 23, 0, 0, TimeSpan.Zero));
        var (book, owner) = await Open(kind, time);
        using var _ = owner;
        book.Set(new Budget("account:m", 1m, "USD", BudgetPeriod.Month, Version: 1));
        book.Set(new Budget("account:t", 1m, "USD", BudgetPeriod.Total, Version: 2));
        Assert.True(await Spend(book, "account:m", 1m));
        Assert.True(await Spend(book, "account:t", 1m));
        time.Advance(TimeSpan.FromDays(27)); // 2027-01-27: a new month
        Assert.True(await Spend(book, "account:m", 1m));
        Assert.False(await Spend(book, "account:t", 0.01m));
        time.Advance(TimeSpan.FromDays(3)); // 2027-01-30: the same month
        Assert.False(await Spend(book, "account:m", 0.01m));
        time.Advance(TimeSpan.FromDays(400));
        Assert.False(await Spend(book, "account:t", 0.01m)); // a total budget never starts again
    }
}
