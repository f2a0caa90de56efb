using System.Diagnostics;
using System.Text;
using Entrepot.Core.Budgets;
using Entrepot.Storage.Redis;
using StackExchange.Redis;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// Budget leases and rate-permit batches of cluster nodes, against the real Redis the test command
/// starts: a node holds and admits out of what it took without a round trip, yet the nodes together
/// never spend or admit more than the limits, a lease's unused part goes back, and a node that dies
/// with one has it charged in full.
/// </summary>
public class ClusterLeaseTests
{
    private static string Redis => Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS")
        ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run the tests with ./test.sh, which starts a throw-away Redis.");

    private static string NewPrefix() => "lease-" + Guid.NewGuid().ToString("N")[..8] + ":";

    private static async Task Until(Func<bool> done, string what, Func<string>? state = null)
    {
        var watch = Stopwatch.StartNew();
        while (!done())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), what + (state is null ? "" : ": " + state()));
            await Task.Delay(10);
        }
    }

    /// <summary>
    /// A Redis of a test's own (kept busy for seconds, which other tests must not feel), with a client
    /// connection and a node connection that gives up on an answer after 100 ms (checked by the client
    /// about every second), so a script sent while Redis is busy is applied after its sender gave up.
    /// </summary>
    private sealed class OwnRedis : IAsyncDisposable
    {
        private readonly IDisposable _server;

        private OwnRedis(IDisposable server, ConnectionMultiplexer client, ConnectionMultiplexer impatient, ConnectionMultiplexer probe) =>
            (_server, Client, Impatient, Probe) = (server, client, impatient, probe);

        public ConnectionMultiplexer Client { get; }
        public ConnectionMultiplexer Impatient { get; }
        private ConnectionMultiplexer Probe { get; }

        public static async Task<OwnRedis> StartAsync()
        {
            var port = Entrepot.Tests.ProcessSetup.FreePort();
            var server = ClusterTests.StartRedis(port);
            var address = $"127.0.0.1:{port}";
            var impatient = ConfigurationOptions.Parse(address);
            impatient.AsyncTimeout = 100;
            return new OwnRedis(server, await ConnectionMultiplexer.ConnectAsync(address), await ConnectionMultiplexer.ConnectAsync(impatient),
                await ConnectionMultiplexer.ConnectAsync(address));
        }

        /// <summary>Starts a 2.5 s script and returns once Redis is running it (a ping is not answered);
        /// the task it returns ends with the script.</summary>
        public async Task<Task> KeepBusyAsync()
        {
            var busy = Client.GetDatabase().ScriptEvaluateAsync("""
                local t = redis.call('TIME')
                local start = t[1] * 1000000 + t[2]
                repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > 2500000
                return 1
                """);
            var watch = Stopwatch.StartNew();
            while (true)
            {
                Assert.False(busy.IsCompleted, "the busy script ended before Redis was seen busy");
                var ping = Probe.GetDatabase().PingAsync();
                if (await Task.WhenAny(ping, Task.Delay(200)) != ping)
                {
                    return busy; // no answer within 200 ms on an idle loopback: Redis is running the script
                }

                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), "Redis never became busy");
            }
        }

        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Impatient.DisposeAsync();
            await Probe.DisposeAsync();
            _server.Dispose();
        }
    }

    [Fact]
    public async Task ANodeHoldsOutOfItsLease_WithoutARoundTrip_ItsSpendingReachesRedis_AndTheRestGoesBackWhenIdle()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var prefix = NewPrefix();
        using var a = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a", nodes: 2);
        using var b = new RedisBudgetBook(redis, TimeProvider.System, prefix, "b", nodes: 2);
        a.Set(new Budget("account:x", 1000m, "USD", BudgetPeriod.Month));
        b.Reload();

        // The first hold takes a lease of 64 such holds (well within a quarter of a node's share of 1,000).
        var first = (await a.TryHoldAsync(["account:x"], 1m)).Hold!;
        Assert.Equal((0m, 64m, 1000m), b.Status("account:x"));
        Assert.Equal(63m, a.Leased("account:x"));

        // Fifty more holds and settlements change nothing in Redis until the flush: they never left the node.
        var holds = new List<BudgetHold> { first };
        for (var i = 0; i < 50; i++)
        {
            holds.Add((await a.TryHoldAsync(["account:x"], 1m)).Hold!);
        }

        Assert.Equal((0m, 64m, 1000m), b.Status("account:x"));
        foreach (var hold in holds.Skip(1))
        {
            hold.Settle(0.25m);
        }

        await Until(() => a.Settling == 0, "the lease's spending never reached Redis");
        var (spent, held, _) = b.Status("account:x")!.Value;
        Assert.Equal(50 * 0.25m, spent); // exact: each settlement is counted once, to the billionth
        Assert.Equal(64m - spent, held); // the rest of the lease is still this node's (one request is in flight)
        first.Settle(0.25m);

        // Idle for a second: the free part goes back, and the budget reads as spent alone.
        await Until(() => b.Status("account:x")!.Value.Held == 0, "an idle lease was never given back");
        Assert.Equal((51 * 0.25m, 0m, 1000m), b.Status("account:x"));
        Assert.Equal(0m, a.Leased("account:x"));
    }

    [Fact]
    public async Task TwoNodesLeasingOneBudget_NeverSpendMoreThanIt_AndUseItUpToWithinOneHold()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var prefix = NewPrefix();
        using var a = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a", nodes: 2);
        using var b = new RedisBudgetBook(redis, TimeProvider.System, prefix, "b", nodes: 2);
        // 100 with holds of 1: a lease is at most a quarter of a node's share of what is left (12 at
        // first), so both nodes lease, and near the end they hold exactly.
        a.Set(new Budget("key:k", 100m, "USD", BudgetPeriod.Total));
        b.Reload();
        var spentLocally = 0m;
        var refusedInARow = 0;
        var leasedOnce = false;
        for (var i = 0; refusedInARow < 2; i++)
        {
            Assert.True(i < 2000, "the budget never ran out");
            var book = i % 2 == 0 ? a : b;
            var (hold, refusal) = await book.TryHoldAsync(["key:k"], 1m);
            leasedOnce |= a.Leased("key:k") > 0 && b.Leased("key:k") > 0;
            if (hold is null)
            {
                Assert.Contains("leased by exchange nodes", refusal);
                // What the exchange does when only holds and leases stand in the way: wait a little and try again.
                var watch = Stopwatch.StartNew();
                while (hold is null && watch.ElapsedMilliseconds < 3000 && b.Status("key:k")!.Value is var s && s.Limit - s.Spent >= 1m)
                {
                    await Task.Delay(10);
                    (hold, _) = await book.TryHoldAsync(["key:k"], 1m);
                }

                if (hold is null)
                {
                    refusedInARow++;
                    continue;
                }
            }

            refusedInARow = 0;
            hold.Settle(0.9m);
            spentLocally += 0.9m;
        }

        Assert.True(leasedOnce, "the nodes never held leases at once: the test did not test leases");
        await Until(() => a.Settling == 0 && b.Settling == 0, "spending never reached Redis");
        var (spent, _, limit) = a.Status("key:k")!.Value;
        Assert.Equal(spentLocally, spent);
        Assert.True(spent <= limit, $"spent {spent} of {limit}");
        Assert.True(spent > limit - 1m, $"only {spent} of {limit} spent when both nodes refused: leases kept the rest");
        await Until(() => a.Status("key:k")!.Value.Held == 0, "leases were never given back");
    }

    [Fact]
    public async Task ANodeThatDiesWithALease_HasItChargedInFull_WhenItRestarts()
    {
        var prefix = NewPrefix();
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        // The node that will die has its own connection, cut before it can give anything back.
        var doomedConnection = await ConnectionMultiplexer.ConnectAsync(Redis);
        var doomed = new RedisBudgetBook(doomedConnection, TimeProvider.System, prefix, "a", nodes: 1);
        doomed.Set(new Budget("account:x", 1000m, "USD", BudgetPeriod.Total));
        var settled = (await doomed.TryHoldAsync(["account:x"], 2m)).Hold!; // leases 128
        settled.Settle(0.5m);
        var inFlight = (await doomed.TryHoldAsync(["account:x"], 3m)).Hold; // out of the lease, in flight when it dies
        Assert.NotNull(inFlight);
        await Until(() => doomed.Settling == 0, "the settlement never reached Redis");
        using var observer = new RedisBudgetBook(redis, TimeProvider.System, prefix, "observer");
        Assert.Equal((0.5m, 127.5m, 1000m), observer.Status("account:x"));
        await doomedConnection.CloseAsync(allowCommandsToComplete: false); // the process is gone

        using var restarted = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a");
        Assert.Equal(1, restarted.Recovered);
        // Its trades may have spent any of the lease: the budget counts all of it, never less.
        Assert.Equal((128m, 0m, 1000m), restarted.Status("account:x"));
        doomed.Dispose();
        doomedConnection.Dispose();
    }

    [Fact]
    public async Task ANodeShutDownCleanly_GivesItsLeaseBack_AndWhatWasInFlightAsItSettles()
    {
        var prefix = NewPrefix();
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var node = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a", nodes: 1);
        node.Set(new Budget("account:x", 1000m, "USD", BudgetPeriod.Total));
        var inFlight = (await node.TryHoldAsync(["account:x"], 2m)).Hold!;
        node.Dispose();
        using var observer = new RedisBudgetBook(redis, TimeProvider.System, prefix, "observer");
        Assert.Equal((0m, 2m, 1000m), observer.Status("account:x")); // only the request still in flight
        inFlight.Settle(1.5m);
        Assert.Equal((1.5m, 0m, 1000m), observer.Status("account:x"));
        using var restarted = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a");
        Assert.Equal(0, restarted.Recovered); // nothing left to charge
    }

    [Fact]
    public async Task LargeBudgets_AreCountedExactly_AndALostNodesLargeLeaseIsChargedInFull()
    {
        // 128,000 units are 1.28 x 10^14 billionths: Redis's Lua would write such a number as "1.28e+14".
        var prefix = NewPrefix();
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var doomedConnection = await ConnectionMultiplexer.ConnectAsync(Redis);
        var doomed = new RedisBudgetBook(doomedConnection, TimeProvider.System, prefix, "a", nodes: 1);
        doomed.Set(new Budget("account:big", 5_000_000m, "USD", BudgetPeriod.Total));
        var first = (await doomed.TryHoldAsync(["account:big"], 2_000m)).Hold!; // leases 128,000
        var second = (await doomed.TryHoldAsync(["account:big"], 2_000m)).Hold!; // out of the lease
        first.Settle(1_234.567891234m);
        await Until(() => doomed.Settling == 0, "the spending never reached Redis");
        using var observer = new RedisBudgetBook(redis, TimeProvider.System, prefix, "observer");
        Assert.Equal((1_234.567891234m, 128_000m - 1_234.567891234m, 5_000_000m), observer.Status("account:big"));
        await doomedConnection.CloseAsync(allowCommandsToComplete: false);
        GC.KeepAlive(second); // in flight when the node dies

        using var restarted = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a");
        Assert.Equal(1, restarted.Recovered);
        Assert.Equal((128_000m, 0m, 5_000_000m), restarted.Status("account:big"));
        doomed.Dispose();
        doomedConnection.Dispose();
    }

    [Fact]
    public async Task AFreeRequest_HeldWhileItsLeaseIsGivenBack_SettlesWithoutError()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var prefix = NewPrefix();
        using var a = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a", nodes: 1);
        a.Set(new Budget("account:x", 1000m, "USD", BudgetPeriod.Total));
        (await a.TryHoldAsync(["account:x"], 1m)).Hold!.Settle(1m); // a lease of 64
        var free = (await a.TryHoldAsync(["account:x"], 0m)).Hold!; // a seller at price 0
        await Until(() => a.Status("account:x")!.Value.Held == 0, "the idle lease was never given back");
        free.Settle(0m);
        await Until(() => a.Settling == 0, "the settlement never reached Redis");
        Assert.Equal((1m, 0m, 1000m), a.Status("account:x"));
    }

    [Fact]
    public async Task ALeaseGrantedWhoseAnswerWasLost_IsGivenBackByTheNextComparison_NotKeptHeldUntilARestart()
    {
        await using var own = await OwnRedis.StartAsync();
        var (redis, nodeConnection) = (own.Client, own.Impatient);
        var prefix = NewPrefix();
        using var a = new RedisBudgetBook(nodeConnection, TimeProvider.System, prefix, "a", nodes: 1);
        a.Set(new Budget("account:x", 100_000m, "USD", BudgetPeriod.Total));
        var inFlight = (await a.TryHoldAsync(["account:x"], 1m)).Hold!; // a lease of 64, kept busy

        // Redis is busy for 2.5 s (a long script from another client): the node's next grant (a hold of
        // 70 does not fit the lease, so it asks for 64 x 70 more) waits behind it, the node stops
        // waiting at its next timeout check (100 ms, checked about every second), and Redis grants it
        // afterwards, to nobody.
        var busy = await own.KeepBusyAsync();
        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(async () => await a.TryHoldAsync(["account:x"], 70m));
        await busy;
        await Until(() => a.Status("account:x")!.Value.Held == 64m + 4_480m, "the lost grant never reached Redis: the test did not test a lost answer");

        // The next comparison (every 5 s) gives back what Redis holds beyond the node's figures: at most
        // the 64 of the lease in use stays held (less if the timeout made the client drop the connection,
        // which closes the lease and gives back its free part).
        await Until(() => a.Status("account:x")!.Value.Held <= 64m, "the lost grant was never given back", () => a.Status("account:x")!.Value.ToString());
        Assert.True(a.Status("account:x")!.Value.Held >= 1m, "the hold in flight was given back with the lost grant");
        inFlight.Settle(1m);
        await Until(() => a.Status("account:x")!.Value.Held == 0, "the idle lease was never given back");
        Assert.Equal((1m, 0m, 100_000m), a.Status("account:x"));
        Assert.DoesNotContain(await redis.GetDatabase().HashKeysAsync(prefix + "holds:a"), k => k.ToString().StartsWith("lease:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExactHoldWhoseAnswerWasLost_IsReleased_ItsRequestHavingBeenRefused()
    {
        await using var own = await OwnRedis.StartAsync();
        var (redis, nodeConnection) = (own.Client, own.Impatient);
        var prefix = NewPrefix();
        using var a = new RedisBudgetBook(nodeConnection, TimeProvider.System, prefix, "a", nodes: 1);
        a.Set(new Budget("account:x", 10m, "USD", BudgetPeriod.Total)); // too small to lease: holds are exact

        var busy = await own.KeepBusyAsync();
        await Assert.ThrowsAsync<BudgetStoreUnavailableException>(async () => await a.TryHoldAsync(["account:x"], 2m));
        await busy;
        await Until(() => a.Status("account:x")!.Value.Held == 2m, "the lost hold never reached Redis: the test did not test a lost answer");

        // Its request was refused (503): the hold is released, nothing is charged.
        await Until(() => a.Status("account:x")!.Value.Held == 0, "the lost hold was never released");
        Assert.Equal((0m, 0m, 10m), a.Status("account:x"));
        Assert.Empty(await redis.GetDatabase().HashKeysAsync(prefix + "holds:a"));
    }

    [Fact]
    public async Task RatePermitsTakenInBatches_NeverAdmitMoreThanTheLimitAcrossNodes_AndUnusedOnesGoBack()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var prefix = NewPrefix();
        using var a = new RedisRateWindow(redis, TimeProvider.System, prefix, nodes: 2);
        using var b = new RedisRateWindow(redis, TimeProvider.System, prefix, nodes: 2);
        const int rpm = 2000; // batches of 2000 / (2 nodes x 50) = 20
        for (var attempt = 0; ; attempt++)
        {
            var scope = "account:" + Guid.NewGuid().ToString("N")[..8];
            var minute = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
            var admitted = 0;
            var refused = 0;
            for (var i = 0; refused < 2; i++)
            {
                Assert.True(i < 5000, "the limit never refused");
                if (await (i % 2 == 0 ? a : b).AdmitAsync(scope, rpm, 0, 0) == 0)
                {
                    admitted++;
                    refused = 0;
                }
                else
                {
                    refused++;
                }
            }

            if (DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 != minute && attempt < 2)
            {
                continue; // the minute turned mid-count: the window moved, count again
            }

            Assert.InRange(admitted, rpm - 2 * 20, rpm); // at most one node's last batch unused, never over
            var counted = (long)await redis.GetDatabase().StringGetAsync($"{prefix}rate:{scope}:req:{minute}");
            Assert.Equal(rpm, counted);
            break;
        }

        // A node that stops asking gives its unused permits back within about two seconds.
        var quiet = "account:" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(0, await a.AdmitAsync(quiet, rpm, 0, 0));
        }

        Assert.Equal((15L, 0L), a.Unused(quiet));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
        await Until(() => a.Unused(quiet).Requests == 0, "unused permits were never given back");
        // The node forgets them before its script gives them back to Redis: wait for Redis too.
        var db = redis.GetDatabase();
        await Until(() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 != now || (long)db.StringGet($"{prefix}rate:{quiet}:req:{now}") == 5,
            "the minute's count never came down to the 5 requests admitted", () => $"counted {db.StringGet($"{prefix}rate:{quiet}:req:{now}")}");
    }

    [Fact]
    public async Task SmallLimits_AreCountedOneRequestAtATime()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Redis);
        var prefix = NewPrefix();
        using var a = new RedisRateWindow(redis, TimeProvider.System, prefix, nodes: 2);
        var scope = "account:small";
        Assert.Equal(0, await a.AdmitAsync(scope, 60, 600, 100));
        Assert.Equal((0L, 0L), a.Unused(scope)); // 60 a minute over two nodes is too few to batch
        var minute = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60;
        var tokens = redis.GetDatabase().StringGet($"{prefix}rate:{scope}:tok:{minute}");
        Assert.True(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 60 != minute || (long)tokens == 100);
        Assert.Equal(2, await a.AdmitAsync(scope, 60, 600, 600)); // 100 + 600 > 600 tokens a minute
    }
}
