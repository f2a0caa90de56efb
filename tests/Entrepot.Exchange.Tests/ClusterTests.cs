using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Entrepot.Core.Market;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Postgres;
using Npgsql;
using Entrepot.Tests;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// Two exchange nodes as one exchange: real Kestrel servers sharing the real Redis and PostgreSQL the
/// test command starts (or a Redis of the test's own, where one is stopped on purpose).
/// </summary>
public class ClusterTests
{
    private const string AdminKey = "ent-cluster-test-admin-key-00";

    private static string Redis => Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS")
        ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run the tests with ./test.sh, which starts a throw-away Redis.");

    private sealed record Cluster(string Prefix, string Postgres, string KeyDir, string Redis);

    private static Cluster NewCluster(string? redis = null) => new(
        "test-" + Guid.NewGuid().ToString("N")[..8] + ":", TestPostgres.FreshDatabase(),
        Path.Combine(Path.GetTempPath(), "entrepot-tests", "cluster-key-" + Guid.NewGuid().ToString("N")[..8]), redis ?? Redis);

    private static async Task<ExchangeHost> StartNode(Cluster cluster, string node, IEnumerable<ProviderSpec> providers, IEnumerable<AccountSpec> accounts,
        string? rulesDir = null, decimal fee = 0)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection
            {
                Port = 0, DefaultSort = "price", Jurisdiction = "DE", AdminKey = AdminKey, FeePercent = fee, RulesDir = rulesDir,
                Ledger = new LedgerSection { Store = "postgres", Connection = cluster.Postgres },
                Cluster = new ClusterSection { Redis = cluster.Redis, NodeId = node, Prefix = cluster.Prefix },
                SigningKeyDir = cluster.KeyDir,
            },
            Accounts = accounts.ToList(),
            Providers = providers.ToList(),
        };
        var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "cluster-" + node + "-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        return host;
    }

    private static ProviderSpec Seller(string id, FaultyUpstream upstream, decimal price, string jurisdiction = "US") => new()
    {
        Id = id, Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = jurisdiction, Models = ["m"], Price = new PriceSpec { Input = price, Output = price },
    };

    private static HttpClient Client(ExchangeHost host, string key) => host.Client(key, TimeSpan.FromSeconds(60));

    private static Task<HttpResponseMessage> Chat(HttpClient http, string content = "hi", string? dataClass = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"{{content}}"}]}""", Encoding.UTF8, "application/json"),
        };
        if (dataClass is not null)
        {
            request.Headers.Add("Entrepot-Data-Class", dataClass);
        }

        return http.SendAsync(request);
    }

    /// <summary>A seller that answers after <paramref name="delayMs"/> with one output token, reporting the
    /// 256 input tokens the exchange counts for the budget tests' 1,000-byte prompt.</summary>
    private static Func<int, HttpContext, Task> AnswersA256TokenPrompt(int delayMs) => async (_, ctx) =>
    {
        await Task.Delay(delayMs);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync("""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":256,"completion_tokens":1,"total_tokens":257}}""");
    };

    [Fact]
    public async Task ThreeHundredConcurrentRequests_SplitOverTwoNodes_SmallBudget_OverspendIsExactlyZero()
    {
        var cluster = NewCluster();
        await using var seller = await FaultyUpstream.StartAsync();
        var buyer = "buyer-" + Guid.NewGuid().ToString("N")[..8];
        const string key = "ent-cluster-budget-key-000000";
        // A 1,000-byte prompt: the exchange counts 256 tokens (its estimate: 250 of text, 6 of template)
        // and the seller reports as much, plus 1 output token; a hold assumes the prompt's bytes + 256 +
        // 8 + max_tokens = 1,265. At 1,000 per million plus the 2% fee a trade costs 0.262, a hold 1.29.
        // A budget of 10 lets about 7 requests hold at once and about 38 trade in all, on whichever node.
        seller.Behaviour = AnswersA256TokenPrompt(delayMs: 50);
        var prompt = string.Concat(Enumerable.Repeat("a ", 500));
        const decimal limit = 10m;
        AccountSpec[] accounts = [new() { Id = buyer, Keys = [key], Budget = new BudgetSpec { Amount = limit, Currency = "USD", Period = "total" } }];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1000m)], accounts, fee: 2);
        await using var b = await StartNode(cluster, "b", [Seller("s", seller, 1000m)], accounts, fee: 2);
        using var ha = Client(a, key);
        using var hb = Client(b, key);

        // One each first, so both nodes are warm and both have traded.
        Assert.Equal(200, (int)(await Chat(ha, prompt)).StatusCode);
        Assert.Equal(200, (int)(await Chat(hb, prompt)).StatusCode);

        // 300 requests, all in flight together, arriving over about 300 ms, alternating between the nodes.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            await Task.Delay(i);
            return (int)(await Chat(i % 2 == 0 ? ha : hb, prompt)).StatusCode;
        }));
        Assert.True(statuses.All(s => s is 200 or 402), string.Join(",", statuses.GroupBy(s => s).Select(g => $"{g.Key}x{g.Count()}")));
        Assert.Contains(200, statuses);
        Assert.Contains(402, statuses);

        await a.FlushAsync();
        await b.FlushAsync();
        var rows = a.Trades.Recent(1000).Concat(b.Trades.Recent(1000)).Where(r => r.Outcome == "completed").ToList();
        Assert.Equal(statuses.Count(s => s == 200) + 2, rows.Count);
        Assert.True(rows.Sum(r => r.Cost) * 1.02m <= limit);
        Assert.Contains(a.Trades.Recent(1000), r => r.Outcome == "completed");
        Assert.Contains(b.Trades.Recent(1000), r => r.Outcome == "completed");
        // Then one at a time, alternating, until the budget refuses: it is used up to within one hold.
        HttpResponseMessage last;
        for (var i = 0; ; i++)
        {
            Assert.True(i < 40, "the budget never ran out");
            // Holds are released in Redis just after each answer: wait for that, so a refusal means spent, not held.
            await a.FlushAsync();
            await b.FlushAsync();
            if ((int)(last = await Chat(i % 2 == 0 ? ha : hb, prompt)).StatusCode != 200)
            {
                break;
            }
        }

        var refusal = await last.Content.ReadAsStringAsync();
        Assert.True(402 == (int)last.StatusCode, refusal);

        await a.FlushAsync();
        await b.FlushAsync();
        rows = a.Trades.Recent(1000).Concat(b.Trades.Recent(1000)).Where(r => r.Outcome == "completed").ToList();
        var charged = rows.Sum(r => r.Cost) * 1.02m;
        Assert.True(charged <= limit, $"charged {charged} of {limit}");
        Assert.True(charged > limit - 1.3m, $"charged only {charged} of {limit}: the budget was not used up ({refusal})");
        Assert.All(rows, r => Assert.Equal(256, r.InputTokens)); // the seller's count, within tolerance of the exchange's

        // Both nodes see the same spending: it is one budget (settlements are asynchronous: wait for them).
        var bookA = (Core.Budgets.IBudgetBook)a.Services.GetService(typeof(Core.Budgets.IBudgetBook))!;
        var bookB = (Core.Budgets.IBudgetBook)b.Services.GetService(typeof(Core.Budgets.IBudgetBook))!;
        for (var i = 0; i < 100 && bookA.Status("account:" + buyer)!.Value.Held != 0; i++)
        {
            await Task.Delay(20);
        }

        var (spentA, heldA, _) = bookA.Status("account:" + buyer)!.Value;
        var (spentB, heldB, _) = bookB.Status("account:" + buyer)!.Value;
        Assert.Equal((spentA, heldA), (spentB, heldB));
        Assert.Equal(0m, heldA);
        Assert.InRange(spentA, charged, charged + rows.Count * 1e-9m); // each trade rounded up to a billionth
        Assert.True(spentA <= limit);

        // One ledger, written by both nodes, verifies as one chain.
        using var db = new PostgresDatabase(cluster.Postgres);
        using var signing = Core.Trust.SigningKey.LoadOrCreate(cluster.KeyDir);
        Assert.Null(PostgresLedger.Verify(db, signing.PublicKey, out var entries, out _));
        Assert.Equal(rows.Count, entries);
    }

    [Fact]
    public async Task TwoNodesServingOutOfBudgetLeases_SpendTheBudgetToWithinOneHold_NeverBeyondIt()
    {
        var cluster = NewCluster();
        await using var seller = await FaultyUpstream.StartAsync();
        var buyer = "buyer-" + Guid.NewGuid().ToString("N")[..8];
        const string key = "ent-cluster-lease-key-0000000";
        seller.Behaviour = AnswersA256TokenPrompt(delayMs: 5);
        // As in the test above a trade costs 0.262 and a hold 1.29; a budget of 400 lets each node lease
        // up to about forty holds' worth (a quarter of its share of what is left) until near the end, where
        // the leases shrink below eight holds and every node holds exactly; about 1,520 trades in all.
        var prompt = string.Concat(Enumerable.Repeat("a ", 500));
        const decimal limit = 400m;
        AccountSpec[] accounts = [new() { Id = buyer, Keys = [key], Budget = new BudgetSpec { Amount = limit, Currency = "USD", Period = "total" } }];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1000m)], accounts, fee: 2);
        await using var b = await StartNode(cluster, "b", [Seller("s", seller, 1000m)], accounts, fee: 2);
        using var ha = Client(a, key);
        using var hb = Client(b, key);
        var bookA = (Storage.Redis.RedisBudgetBook)a.Services.GetService(typeof(Core.Budgets.IBudgetBook))!;
        var bookB = (Storage.Redis.RedisBudgetBook)b.Services.GetService(typeof(Core.Budgets.IBudgetBook))!;

        var leasedByBoth = false;
        using var gate = new SemaphoreSlim(16);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 1800).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                var status = (int)(await Chat(i % 2 == 0 ? ha : hb, prompt)).StatusCode;
                leasedByBoth |= bookA.Leased("account:" + buyer) > 0 && bookB.Leased("account:" + buyer) > 0;
                return status;
            }
            finally
            {
                gate.Release();
            }
        }));
        Assert.True(statuses.All(s => s is 200 or 402), string.Join(",", statuses.GroupBy(s => s).Select(g => $"{g.Key}x{g.Count()}")));
        Assert.True(leasedByBoth, "the nodes never served out of leases at once: the test did not test leases");

        await a.FlushAsync();
        await b.FlushAsync();
        var rows = a.Trades.Recent(2000).Concat(b.Trades.Recent(2000)).Where(r => r.Outcome == "completed").ToList();
        Assert.Equal(statuses.Count(s => s == 200), rows.Count);
        var charged = rows.Sum(r => r.Cost) * 1.02m;
        Assert.True(charged <= limit, $"charged {charged} of {limit}");
        Assert.True(charged > limit - 1.3m, $"charged only {charged} of {limit} when the budget refused: leases kept the rest");

        // The leases go back once idle, and both nodes read what was spent, to the billionth per trade.
        var watch = Stopwatch.StartNew();
        while (bookA.Status("account:" + buyer)!.Value.Held != 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the leases were never given back");
            await Task.Delay(20);
        }

        var (spent, held, _) = bookB.Status("account:" + buyer)!.Value;
        Assert.Equal(0m, held);
        Assert.InRange(spent, charged, charged + rows.Count * 1e-9m);
    }

    [Fact]
    public async Task ASellerThatFailsOnOneNode_IsAvoidedByTheOther_WithinASecond()
    {
        var cluster = NewCluster();
        await using var flaky = await FaultyUpstream.StartAsync();
        await using var good = await FaultyUpstream.StartAsync();
        flaky.Behaviour = (_, ctx) => FaultyUpstream.Status(ctx, 503);
        const string key = "ent-cluster-health-key-000000";
        AccountSpec[] accounts = [new() { Id = "b-" + Guid.NewGuid().ToString("N")[..8], Keys = [key] }];
        ProviderSpec[] sellers = [Seller("flaky", flaky, 0.1m), Seller("good", good, 5m)];
        await using var a = await StartNode(cluster, "a", sellers, accounts);
        await using var b = await StartNode(cluster, "b", sellers, accounts);
        using var ha = Client(a, key);
        using var hb = Client(b, key);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (int)(await Chat(ha)).StatusCode); // fails over to "good"
        }

        Assert.Equal(CircuitState.Open, a.Market.Routes.Find("flaky")!.Health.Circuit.State);
        var watch = Stopwatch.StartNew();
        while (b.Market.Routes.Find("flaky")!.Health.Circuit.State != CircuitState.Open)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node b never heard of the open circuit");
            await Task.Delay(10);
        }

        var calls = flaky.Calls;
        var r = await Chat(hb);
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("good", r.Headers.GetValues("Entrepot-Provider").Single());
        Assert.Equal(calls, flaky.Calls); // node b never tried it
    }

    [Fact]
    public async Task SplittingTrafficAcrossNodes_CannotDodgeABulkThreshold()
    {
        var rules = Path.Combine(Path.GetTempPath(), "entrepot-tests", "cluster-rules-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(rules);
        File.WriteAllText(Path.Combine(rules, "bulk.yaml"), """
            pack: test-bulk
            title: A small bulk threshold for the cluster test
            authority: test
            law: test
            source: https://example.invalid/test-bulk
            rules:
              - id: test-bulk-deny
                title: Identifiers of more than three people a year to one seller are refused
                citation: test
                effective_from: 2020-01-01
                match:
                  origin: [DE]
                  data_classes: [personal]
                effect: deny
                threshold:
                  subjects: 3
                  category: personal-identifiers
                  period: calendar-year
                  per: counterparty
            """);
        var cluster = NewCluster();
        await using var seller = await FaultyUpstream.StartAsync();
        const string key = "ent-cluster-bulk-key-00000000";
        const string otherKey = "ent-cluster-bulk-key-other-00";
        AccountSpec[] accounts =
        [
            new() { Id = "b-" + Guid.NewGuid().ToString("N")[..8], HomeJurisdiction = "DE", Keys = [key] },
            new() { Id = "o-" + Guid.NewGuid().ToString("N")[..8], HomeJurisdiction = "DE", Keys = [otherKey] },
        ];
        var sellerId = "cn-" + Guid.NewGuid().ToString("N")[..8];
        await using var a = await StartNode(cluster, "a", [Seller(sellerId, seller, 1m, "CN")], accounts, rules);
        await using var b = await StartNode(cluster, "b", [Seller(sellerId, seller, 1m, "CN")], accounts, rules);
        using var ha = Client(a, key);
        using var hb = Client(b, key);

        // Three people, two through node a and one through node b: at the threshold, not past it.
        Assert.Equal(200, (int)(await Chat(ha, "write to ann@example.com")).StatusCode);
        Assert.Equal(200, (int)(await Chat(ha, "write to bob@example.com")).StatusCode);
        Assert.Equal(200, (int)(await Chat(hb, "write to cat@example.com")).StatusCode);
        await a.FlushAsync();
        await b.FlushAsync();
        // A person already counted does not count again, on either node.
        Assert.Equal(200, (int)(await Chat(hb, "write to ANN@example.com")).StatusCode);
        // The fourth person, through node b, which saw only one of the three itself: refused.
        var fourth = await Chat(hb, "write to dan@example.com");
        Assert.Equal(451, (int)fourth.StatusCode);
        Assert.Contains("test-bulk-deny", await fourth.Content.ReadAsStringAsync());
        Assert.Equal(451, (int)(await Chat(ha, "write to eve@example.com")).StatusCode);

        // The counts live in PostgreSQL, not in any node (or in Redis): a node started now knows them.
        await using var c = await StartNode(cluster, "c", [Seller(sellerId, seller, 1m, "CN")], accounts, rules);
        using var hc = Client(c, key);
        Assert.Equal(451, (int)(await Chat(hc, "write to fay@example.com")).StatusCode);
        Assert.Equal(200, (int)(await Chat(hc, "write to bob@example.com")).StatusCode);

        // The counts are the buyer's own: another buyer of the same country to the same seller is not
        // held to them, through any node.
        using var other = Client(c, otherKey);
        Assert.Equal(200, (int)(await Chat(other, "write to fay@example.com")).StatusCode);
        using var otherOnA = Client(a, otherKey);
        Assert.Equal(200, (int)(await Chat(otherOnA, "write to gil@example.com")).StatusCode);
    }

    [Fact]
    public async Task DeclarationsTradeFlowsAndThePriceIndex_ReadThroughAnyNode_AreTheWholeExchanges()
    {
        var cluster = NewCluster();
        await using var seller = await FaultyUpstream.StartAsync();
        const string key = "ent-cluster-trade-key-0000000";
        var buyer = "t-" + Guid.NewGuid().ToString("N")[..8];
        AccountSpec[] accounts = [new() { Id = buyer, HomeJurisdiction = "DE", Keys = [key] }];
        await using var a = await StartNode(cluster, "a", [Seller("us", seller, 1m)], accounts);
        await using var b = await StartNode(cluster, "b", [Seller("us", seller, 1m)], accounts);
        using var ha = Client(a, key);
        using var hb = Client(b, key);

        // Three trades from DE to a US seller (each a declared crossing): two through a, one through b.
        var ids = new List<string>();
        foreach (var http in new[] { ha, ha, hb })
        {
            var r = await Chat(http);
            Assert.Equal(200, (int)r.StatusCode);
            ids.Add(r.Headers.GetValues("Entrepot-Request-Id").Single());
        }

        await a.FlushAsync();
        await b.FlushAsync();
        foreach (var http in new[] { ha, hb })
        {
            var page = JsonNode.Parse(await http.GetStringAsync("v1/trade/declarations"))!["data"]!.AsArray();
            Assert.Equal(ids.Order(), page.Select(d => (string)d!["request_id"]!).Order());
            Assert.All(page, d => Assert.Equal("US", (string)d!["destination"]!));
            var flows = JsonNode.Parse(await http.GetStringAsync("v1/trade/flows?period=1d"))!["flows"]!.AsArray();
            var flow = Assert.Single(flows);
            Assert.Equal(("DE", "US", 3L), ((string)flow!["origin"]!, (string)flow["destination"]!, (long)flow["trades"]!));
            var index = JsonNode.Parse(await http.GetStringAsync("v1/market/index"))!["data"]!.AsArray();
            Assert.Equal(3, index.Sum(p => (int)p!["trades"]!));
        }

        // The dashboard of either node shows the live flows of both.
        foreach (var node in new[] { a, b })
        {
            using var admin = Client(node, AdminKey);
            var flows = JsonNode.Parse(await admin.GetStringAsync("admin/dashboard"))!["flows"]!.AsArray();
            Assert.Equal(ids.Order(), flows.Select(f => (string)f!["request_id"]!).Order());
        }
    }

    [Fact]
    public async Task AKeyRemovedFromTheFile_IsRevokedOnEveryNode_WhenANodeStartsWithTheNewFile()
    {
        var cluster = NewCluster();
        await using var upstream = await FaultyUpstream.StartAsync();
        const string kept = "ent-cluster-file-key-kept-00001";
        const string removed = "ent-cluster-file-key-gone-00001";
        AccountSpec[] before = [new() { Id = "alpha", HomeJurisdiction = "DE", Keys = [kept, removed] }];
        await using var a = await StartNode(cluster, "a", [Seller("s", upstream, 1m)], before);
        Assert.Equal("alpha", await ConfigKeyTests.AccountOf(a, removed));

        // Node b starts with the file as the operator changed it: the key is revoked in the shared store
        // and node a, told so, stops taking it too.
        AccountSpec[] after = [new() { Id = "alpha", HomeJurisdiction = "DE", Keys = [kept] }];
        await using var b = await StartNode(cluster, "b", [Seller("s", upstream, 1m)], after);
        Assert.Null(await ConfigKeyTests.AccountOf(b, removed));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await ConfigKeyTests.AccountOf(a, removed) is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Null(await ConfigKeyTests.AccountOf(a, removed));
        Assert.Equal("alpha", await ConfigKeyTests.AccountOf(a, kept));
    }

    [Fact]
    public async Task AHeartbeatThroughOneNode_ReachesEveryNode_AndANodeStartedLaterJoinsWithIt()
    {
        var cluster = NewCluster();
        await using var upstream = await FaultyUpstream.StartAsync();
        var nodeKey = Core.Trust.SigningKey.LoadOrCreate(Path.Combine(Path.GetTempPath(), "entrepot-tests", "node-key-" + Guid.NewGuid().ToString("N")[..8]));
        var exporter = new ProviderSpec
        {
            Id = "node", Kind = "exporter", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "SG", Models = ["m"],
            Price = new PriceSpec { Input = 1m, Output = 1m }, ReceiptKeyId = nodeKey.KeyId,
        };
        AccountSpec[] accounts = [];
        await using var a = await StartNode(cluster, "a", [exporter], accounts);
        await using var b = await StartNode(cluster, "b", [exporter], accounts);
        using var adminA = Client(a, AdminKey);
        using var adminB = Client(b, AdminKey);

        // The load balancer hands the heartbeat (a posted price of 2, twice the listed one) to node a only.
        var node = new HeartbeatNode(nodeKey, "node");
        Assert.Equal(200, (int)(await node.PostAsync(adminA, node.Beat(price: 2m))).StatusCode);
        async Task<decimal?> Posted(HttpClient admin) =>
            (decimal?)JsonNode.Parse(await admin.GetStringAsync("admin/providers"))!.AsArray().Single(p => (string)p!["id"]! == "node")!["input_price"];
        var deadline = DateTime.UtcNow.AddSeconds(2);
        while (await Posted(adminB) != 2m && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2m, await Posted(adminB));
        await using var c = await StartNode(cluster, "c", [exporter], accounts);
        using var adminC = Client(c, AdminKey);
        Assert.Equal(2m, await Posted(adminC));
    }

    [Fact]
    public async Task LosingRedis_RefusesPaidRequestsClearly_NeverOverspends_AndBudgetlessBuyersGoOn()
    {
        var port = ProcessSetup.FreePort();
        using var redis = StartRedis(port);
        var cluster = NewCluster($"127.0.0.1:{port}");
        await using var seller = await FaultyUpstream.StartAsync();
        const string paid = "ent-cluster-paid-key-00000000", free = "ent-cluster-free-key-00000000";
        AccountSpec[] accounts =
        [
            new() { Id = "paid", Keys = [paid], Budget = new BudgetSpec { Amount = 100m, Currency = "USD", Period = "month" } },
            new() { Id = "free", Keys = [free] },
        ];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1m)], accounts);
        using var hp = Client(a, paid);
        using var hf = Client(a, free);
        Assert.Equal(200, (int)(await Chat(hp)).StatusCode);

        await redis.KillAsync();
        var refused = await Chat(hp);
        Assert.Equal(503, (int)refused.StatusCode);
        var error = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("budget_store_unavailable", (string)error["code"]!);
        Assert.Contains("Redis", (string)error["message"]!);
        Assert.Equal(200, (int)(await Chat(hf)).StatusCode); // no budget to hold: unaffected

        // Redis back, but empty (no persistence): the counters are gone, so still no holds.
        using var fresh = StartRedis(port);
        // Until the node has reconnected it says Redis cannot be reached; then, that the budgets are lost.
        HttpResponseMessage afterRestart;
        string said;
        var reconnecting = Stopwatch.StartNew();
        while (!(said = await (afterRestart = await Chat(hp)).Content.ReadAsStringAsync()).Contains("lost the budgets", StringComparison.Ordinal))
        {
            Assert.Equal(503, (int)afterRestart.StatusCode); // never served on a guess meanwhile
            Assert.True(reconnecting.Elapsed < TimeSpan.FromSeconds(30), "the node never reconnected to Redis: " + said);
            await Task.Delay(100);
        }

        Assert.Equal(503, (int)afterRestart.StatusCode);
        await fresh.KillAsync();
    }

    [Fact]
    public async Task LosingRedis_RateLimitsFallBackToThisNodesShare()
    {
        var port = ProcessSetup.FreePort();
        using var redis = StartRedis(port);
        var cluster = NewCluster($"127.0.0.1:{port}");
        await using var seller = await FaultyUpstream.StartAsync();
        const string key = "ent-cluster-limited-key-00000";
        AccountSpec[] accounts = [new() { Id = "limited", Keys = [key], Limits = new LimitsSpec { RequestsPerMinute = 10 } }];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1m)], accounts); // nodes: 2 (the default)
        using var http = Client(a, key);
        Assert.Equal(200, (int)(await Chat(http)).StatusCode); // counted in Redis

        await redis.KillAsync();
        // Without the shared counters each node admits its share, 10 / 2 = 5 a minute, on its own limiter.
        var statuses = new List<int>();
        for (var i = 0; i < 12; i++)
        {
            statuses.Add((int)(await Chat(http)).StatusCode);
        }

        Assert.Equal([200, 200, 200, 200, 200, 429, 429, 429, 429, 429, 429, 429], statuses);
    }

    [Fact]
    public async Task AKeyIssuedAndASellerAddedThroughOneNode_WorkOnTheOther()
    {
        var cluster = NewCluster();
        await using var first = await FaultyUpstream.StartAsync();
        await using var added = await FaultyUpstream.StartAsync();
        var account = "b-" + Guid.NewGuid().ToString("N")[..8];
        AccountSpec[] accounts = [new() { Id = account, Keys = ["ent-cluster-admin-key-0000000"] }];
        await using var a = await StartNode(cluster, "a", [Seller("s", first, 1m)], accounts);
        await using var b = await StartNode(cluster, "b", [Seller("s", first, 1m)], accounts);
        using var adminA = Client(a, AdminKey);

        var issued = JsonNode.Parse(await (await adminA.PostAsync($"admin/accounts/{account}/keys", null)).Content.ReadAsStringAsync())!;
        using var onB = Client(b, (string)issued["key"]!);
        var watch = Stopwatch.StartNew();
        while ((int)(await Chat(onB)).StatusCode != 200)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node b did not accept a key issued on node a");
            await Task.Delay(20);
        }

        var put = await adminA.PutAsJsonAsync("admin/providers/cheap", new { kind = "openai", base_url = added.V1.AbsoluteUri, jurisdiction = "US", models = new[] { "m" }, price = new { input = 0.01, output = 0.01 } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        watch.Restart();
        while ((await Chat(onB)).Headers.GetValues("Entrepot-Provider").Single() != "cheap")
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node b did not route to a seller added on node a");
            await Task.Delay(20);
        }

        // A cable cut through one node is routed around by every node.
        Assert.Equal(200, (int)(await adminA.PostAsJsonAsync("admin/network/cuts", new { cable = "marea" })).StatusCode);
        watch.Restart();
        while (!b.Market.Faults.Cut.Contains("marea"))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node b did not hear of the cut");
            await Task.Delay(20);
        }

        // Revoked on b: refused on a.
        using var adminB = Client(b, AdminKey);
        Assert.Equal(204, (int)(await adminB.DeleteAsync($"admin/keys/{(string)issued["key_id"]!}")).StatusCode);
        using var onA = Client(a, (string)issued["key"]!);
        watch.Restart();
        while ((int)(await Chat(onA)).StatusCode != 401)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node a still accepts a key revoked on node b");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task AKeyRevokedWhileRedisWasDown_IsRefusedByEveryNodeOnceItIsBack()
    {
        var port = ProcessSetup.FreePort();
        using var redis = StartRedis(port);
        var cluster = NewCluster($"127.0.0.1:{port}");
        await using var seller = await FaultyUpstream.StartAsync();
        var account = "r-" + Guid.NewGuid().ToString("N")[..8];
        AccountSpec[] accounts = [new() { Id = account, Keys = ["ent-cluster-file-key-00000000"] }];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1m)], accounts);
        await using var b = await StartNode(cluster, "b", [Seller("s", seller, 1m)], accounts);
        using var adminB = Client(b, AdminKey);
        var issued = JsonNode.Parse(await (await adminB.PostAsync($"admin/accounts/{account}/keys", null)).Content.ReadAsStringAsync())!;
        using var onA = Client(a, (string)issued["key"]!);
        var watch = Stopwatch.StartNew();
        while ((int)(await onA.GetAsync("v1/models")).StatusCode != 200)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node a did not accept a key issued on node b");
            await Task.Delay(20);
        }

        await redis.KillAsync();
        Assert.Equal(204, (int)(await adminB.DeleteAsync($"admin/keys/{(string)issued["key_id"]!}")).StatusCode);
        Assert.Equal(200, (int)(await onA.GetAsync("v1/models")).StatusCode); // the announcement went nowhere

        using var back = StartRedis(port);
        watch.Restart();
        while ((int)(await onA.GetAsync("v1/models")).StatusCode != 401)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node a still accepts, after reconnecting, a key revoked on node b while Redis was down");
            await Task.Delay(50);
        }

        await back.KillAsync();
    }

    [Fact]
    public async Task HoldsOfANodeKilledMidRequest_AreChargedWhenItRestarts_NotLeftHeldForever()
    {
        using var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis);
        var prefix = "test-" + Guid.NewGuid().ToString("N")[..8] + ":";
        var budget = new Core.Budgets.Budget("account:x", 10m, "USD", Core.Budgets.BudgetPeriod.Total);
        var before = new Storage.Redis.RedisBudgetBook(redis, TimeProvider.System, prefix, nodeId: "a");
        before.Set(budget);
        var settled = (await before.TryHoldAsync(["account:x"], 2m)).Hold!;
        settled.Settle(0.5m);
        var died = (await before.TryHoldAsync(["account:x"], 3m)).Hold; // in flight when the process dies
        Assert.NotNull(died);
        var watch = Stopwatch.StartNew();
        while (before.Settling > 0)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "the settlement never reached Redis");
            await Task.Delay(10); // the settlement is asynchronous
        }

        Assert.Equal((0.5m, 3m, 10m), before.Status("account:x"));
        before.Dispose(); // the process is gone; its hold was never settled

        var other = new Storage.Redis.RedisBudgetBook(redis, TimeProvider.System, prefix, nodeId: "b");
        Assert.Equal(0, other.Recovered); // another node's holds are not its own
        var restarted = new Storage.Redis.RedisBudgetBook(redis, TimeProvider.System, prefix, nodeId: "a");
        Assert.Equal(1, restarted.Recovered);
        Assert.Equal((3.5m, 0m, 10m), restarted.Status("account:x")); // charged in full: never less than it may have cost
        Assert.Equal(0, new Storage.Redis.RedisBudgetBook(redis, TimeProvider.System, prefix, nodeId: "a").Recovered); // once
        other.Dispose();
        restarted.Dispose();
    }

    [Fact]
    public async Task RateLimits_AreSharedByTheNodes()
    {
        var cluster = NewCluster();
        await using var seller = await FaultyUpstream.StartAsync();
        const string key = "ent-cluster-rate-key-00000000";
        AccountSpec[] accounts = [new() { Id = "b-" + Guid.NewGuid().ToString("N")[..8], Keys = [key], Limits = new LimitsSpec { RequestsPerMinute = 10 } }];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1m)], accounts);
        await using var b = await StartNode(cluster, "b", [Seller("s", seller, 1m)], accounts);
        using var ha = Client(a, key);
        using var hb = Client(b, key);
        var statuses = new List<int>();
        for (var i = 0; i < 30; i++)
        {
            var r = await Chat(i % 2 == 0 ? ha : hb);
            statuses.Add((int)r.StatusCode);
            if ((int)r.StatusCode == 429)
            {
                Assert.True(r.Headers.RetryAfter is not null);
            }
        }

        // Ten a minute for the account, whichever node it asks (each alone would have let ten through).
        Assert.InRange(statuses.Count(s => s == 200), 10, 11); // 11 only if the minute turned mid-test
        Assert.Equal(30, statuses.Count(s => s is 200 or 429));
    }

    [Fact]
    public async Task LosingPostgres_StopsAdmittingTrades_LosesNoAnsweredOne_AndResumes()
    {
        var cluster = NewCluster();
        var database = new NpgsqlConnectionStringBuilder(cluster.Postgres).Database!;
        await using var seller = await FaultyUpstream.StartAsync();
        const string key = "ent-cluster-pg-loss-key-00000";
        AccountSpec[] accounts = [new() { Id = "b-" + Guid.NewGuid().ToString("N")[..8], Keys = [key] }];
        await using var a = await StartNode(cluster, "a", [Seller("s", seller, 1m)], accounts);
        using var http = Client(a, key);
        var answered = 0;
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (int)(await Chat(http)).StatusCode);
            answered++;
        }

        await a.FlushAsync();
        await SetConnectable(database, false);
        try
        {
            // Trades answered before the outage was noticed are kept; then no new trade is admitted.
            string? refusal = null;
            for (var i = 0; i < 50 && refusal is null; i++)
            {
                var r = await Chat(http);
                if ((int)r.StatusCode == 200)
                {
                    answered++;
                    await a.FlushAsync();
                    continue;
                }

                Assert.Equal(503, (int)r.StatusCode);
                refusal = await r.Content.ReadAsStringAsync();
            }

            Assert.NotNull(refusal);
            var error = JsonNode.Parse(refusal)!["error"]!;
            Assert.Equal("ledger_unavailable", (string)error["code"]!);
            Assert.Contains("PostgreSQL", (string)error["message"]!);
        }
        finally
        {
            await SetConnectable(database, true);
        }

        // Back: trades are admitted again within a few seconds, and the ledger holds every answered one.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((int)(await Chat(http)).StatusCode != 200)
        {
            Assert.True(DateTime.UtcNow < deadline, "trades were not admitted again after PostgreSQL came back");
            await Task.Delay(200);
        }

        answered++;
        Assert.Equal(200, (int)(await Chat(http)).StatusCode);
        answered++;
        await a.FlushAsync();
        using var db = new PostgresDatabase(cluster.Postgres);
        using var signing = Core.Trust.SigningKey.LoadOrCreate(cluster.KeyDir);
        Assert.Null(PostgresLedger.Verify(db, signing.PublicKey, out var entries, out _));
        Assert.Equal(answered, entries);
    }

    /// <summary>Takes a test database away from its clients (and gives it back), as an outage does.</summary>
    private static async Task SetConnectable(string database, bool allowed)
    {
        await using var admin = new NpgsqlConnection(Environment.GetEnvironmentVariable("ENTREPOT_TEST_POSTGRES"));
        await admin.OpenAsync();
        await using var alter = new NpgsqlCommand($"ALTER DATABASE {database} ALLOW_CONNECTIONS {(allowed ? "true" : "false")}", admin);
        await alter.ExecuteNonQueryAsync();
        if (!allowed)
        {
            await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'", admin);
            await kill.ExecuteNonQueryAsync();
        }
    }

    internal static RedisProcess StartRedis(int port)
    {
        var p = Process.Start(new ProcessStartInfo("redis-server", ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var redis = new RedisProcess(p);
        for (var i = 0; i < 50; i++)
        {
            try
            {
                using var c = new System.Net.Sockets.TcpClient("127.0.0.1", port);
                return redis;
            }
            catch (System.Net.Sockets.SocketException)
            {
                Thread.Sleep(100);
            }
        }

        redis.Dispose();
        throw new InvalidOperationException("redis-server did not start");
    }

    /// <summary>A Redis of the test's own: stopped when the test ends, whether it passed or not.</summary>
    internal sealed class RedisProcess(Process process) : IDisposable
    {
        /// <summary>Stops it now, as a crash would.</summary>
        public async Task KillAsync()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
        }

        public void Dispose()
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }

            process.Dispose();
        }
    }
}
