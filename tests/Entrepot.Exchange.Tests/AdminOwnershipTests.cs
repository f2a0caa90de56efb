using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Budgets;
using Entrepot.Core.Market;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// The file owns what it defines, the admin API owns the rest: what the admin changed through one
/// node holds on every node and survives a restart of the node that took the call and of the one
/// that did not; what the file defines is refused by the admin API (409 naming the file) and changes
/// when the file does. Two real nodes on the real PostgreSQL and Redis of the test command; a
/// restart is a stop and a start on the same data directory.
/// </summary>
public class AdminOwnershipTests
{
    private const string AdminKey = "ent-ownership-admin-key-00000";
    private const string Key = "ent-ownership-buyer-key-00000";
    private const string FilePath = "/etc/entrepot/exchange.json";

    // "hi" with max_tokens 1 holds about 267 tokens; at 1,000 per million that is about 0.27 USD: a
    // budget of 0.10 refuses it (402), one of 100 admits it.
    private const decimal Low = 0.10m;
    private const decimal High = 100m;

    private static string Redis => Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS")
        ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run the tests with ./test.sh, which starts a throw-away Redis.");

    /// <summary>One exchange of one or two nodes; a node keeps its data directory across restarts.</summary>
    private sealed class Market(bool cluster, FaultyUpstream seller) : IAsyncDisposable
    {
        private readonly string _prefix = "own-" + Guid.NewGuid().ToString("N")[..8] + ":";
        private readonly string? _postgres = cluster ? TestPostgres.FreshDatabase() : null;
        private readonly string _root = Path.Combine(Path.GetTempPath(), "entrepot-tests", "ownership-" + Guid.NewGuid().ToString("N")[..8]);
        private readonly Dictionary<string, ExchangeHost> _nodes = [];

        public string Account { get; } = "buyer-" + Guid.NewGuid().ToString("N")[..8];

        /// <summary>What the file says about the buyer's account (the test edits it between restarts).</summary>
        public AccountSpec File { get; set; } = null!;

        public ExchangeHost this[string node] => _nodes[node];

        public async Task<ExchangeHost> Start(string node)
        {
            var config = new ExchangeConfig
            {
                Exchange = new ExchangeSection
                {
                    Port = 0, DefaultSort = "price", Jurisdiction = "DE", AdminKey = AdminKey,
                    Ledger = _postgres is null ? null : new LedgerSection { Store = "postgres", Connection = _postgres },
                    Cluster = _postgres is null ? null : new ClusterSection { Redis = Redis, NodeId = node, Prefix = _prefix },
                    SigningKeyDir = Path.Combine(_root, "key"),
                },
                Accounts = [File],
                Providers = [new ProviderSpec { Id = "s", Kind = "openai", BaseUrl = seller.V1.AbsoluteUri, Jurisdiction = "US", Models = ["m"], Price = new PriceSpec { Input = 1000m, Output = 1000m } }],
                SourcePath = FilePath,
            };
            var host = ExchangeHost.Create(config, Path.Combine(_root, node));
            await host.StartAsync();
            _nodes[node] = host;
            return host;
        }

        public async Task Restart(string node)
        {
            await _nodes[node].DisposeAsync();
            await Start(node);
        }

        public IEnumerable<ExchangeHost> Nodes => _nodes.Values;

        public async ValueTask DisposeAsync()
        {
            foreach (var n in _nodes.Values)
            {
                await n.DisposeAsync();
            }
        }
    }

    private static HttpClient Client(ExchangeHost host, string key) => host.Client(key, TimeSpan.FromSeconds(60));

    private static async Task<int> Chat(ExchangeHost host, string key = Key)
    {
        using var http = Client(host, key);
        var r = await http.PostAsync("v1/chat/completions",
            new StringContent("""{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        return (int)r.StatusCode;
    }

    private static async Task<HttpResponseMessage> Admin(ExchangeHost host, HttpMethod method, string path, object? body = null)
    {
        using var http = Client(host, AdminKey);
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        return await http.SendAsync(request);
    }

    private static decimal? Limit(ExchangeHost host, string scope) =>
        host.Services.GetRequiredService<IBudgetBook>().Status(scope) is { } s ? s.Limit : null;

    /// <summary>Every node answers the buyer with <paramref name="status"/> (an announcement takes a moment to arrive).</summary>
    private static async Task EveryNodeAnswers(Market market, int status, string why)
    {
        foreach (var node in market.Nodes)
        {
            var watch = Stopwatch.StartNew();
            int got;
            while ((got = await Chat(node)) != status)
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"{why}: a node answered {got}, not {status}");
                await Task.Delay(25);
            }
        }
    }

    private static async Task Eventually(Func<bool> holds, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!holds())
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), what);
            await Task.Delay(25);
        }
    }

    private static async Task<Market> TwoNodes(FaultyUpstream seller, AccountSpec? file = null)
    {
        var market = new Market(cluster: true, seller);
        market.File = (file ?? new AccountSpec { Keys = [Key] }) with { Id = market.Account };
        await market.Start("a");
        await market.Start("b");
        return market;
    }

    [Fact]
    public async Task ABudgetSetRaisedLoweredAndRemovedThroughTheApi_HoldsOnEveryNode_AcrossRestartsOfEither()
    {
        await using var seller = await FaultyUpstream.StartAsync();
        await using var market = await TwoNodes(seller);
        var scope = "account:" + market.Account;

        // Set through a: both refuse.
        Assert.Equal(200, (int)(await Admin(market["a"], HttpMethod.Put, $"admin/accounts/{market.Account}/budget", new { amount = Low, currency = "USD", period = "total" })).StatusCode);
        await EveryNodeAnswers(market, 402, "a budget of 0.10 set through a");

        // Raised through b: both serve, and go on serving after each node restarts.
        Assert.Equal(200, (int)(await Admin(market["b"], HttpMethod.Put, $"admin/accounts/{market.Account}/budget", new { amount = High, currency = "USD", period = "total" })).StatusCode);
        await EveryNodeAnswers(market, 200, "raised to 100 through b");
        await market.Restart("a"); // did not take the raise
        await EveryNodeAnswers(market, 200, "raised through b, a restarted");
        await market.Restart("b"); // took it
        await EveryNodeAnswers(market, 200, "raised through b, b restarted");
        Assert.All(market.Nodes, n => Assert.Equal(High, Limit(n, scope)));

        // Lowered through a: no restart of either node lifts it again (that would be spending the operator forbade).
        Assert.Equal(200, (int)(await Admin(market["a"], HttpMethod.Put, $"admin/accounts/{market.Account}/budget", new { amount = Low, currency = "USD", period = "total" })).StatusCode);
        await EveryNodeAnswers(market, 402, "lowered through a");
        await market.Restart("b");
        await EveryNodeAnswers(market, 402, "lowered through a, b restarted");
        await market.Restart("a");
        await EveryNodeAnswers(market, 402, "lowered through a, a restarted");
        Assert.All(market.Nodes, n => Assert.Equal(Low, Limit(n, scope)));

        // Removed through b: no budget anywhere, and none comes back at a restart.
        Assert.Equal(204, (int)(await Admin(market["b"], HttpMethod.Delete, $"admin/accounts/{market.Account}/budget")).StatusCode);
        await EveryNodeAnswers(market, 200, "removed through b");
        Assert.Equal(404, (int)(await Admin(market["a"], HttpMethod.Delete, $"admin/accounts/{market.Account}/budget")).StatusCode);
        await market.Restart("a");
        await market.Restart("b");
        await EveryNodeAnswers(market, 200, "removed, both restarted");
        Assert.All(market.Nodes, n => Assert.Null(Limit(n, scope)));
    }

    [Fact]
    public async Task TheFileOwnsWhatItDefines_TheApiAnswers409NamingTheFile_AnEditedFileTakesEffectOnEveryNode()
    {
        await using var seller = await FaultyUpstream.StartAsync();
        await using var market = await TwoNodes(seller, new AccountSpec
        {
            Keys = [Key],
            Budget = new BudgetSpec { Amount = Low, Currency = "USD", Period = "total" },
            Limits = new LimitsSpec { RequestsPerMinute = 1000 },
            Diversification = new DiversificationSpec { MaxSellerShare = 0.9 },
        });
        var id = market.Account;
        var configKey = "cfg_" + Convert.ToHexStringLower(Core.Accounts.ApiKeyHash.Compute(Key))[..16];
        foreach (var node in market.Nodes)
        {
            foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
            {
                (HttpMethod.Put, $"admin/accounts/{id}/budget", new { amount = High, currency = "USD", period = "total" }),
                (HttpMethod.Delete, $"admin/accounts/{id}/budget", null),
                (HttpMethod.Put, $"admin/accounts/{id}/limits", new { requests_per_minute = 5 }),
                (HttpMethod.Delete, $"admin/accounts/{id}/limits", null),
                (HttpMethod.Put, $"admin/accounts/{id}/diversification", new { max_seller_share = 0.5 }),
                (HttpMethod.Post, "admin/accounts", new { id, home_jurisdiction = "DE" }),
                (HttpMethod.Delete, $"admin/keys/{configKey}", null),
            })
            {
                var refused = await Admin(node, method, path, body);
                var text = await refused.Content.ReadAsStringAsync();
                Assert.True(409 == (int)refused.StatusCode, $"{method} {path}: {(int)refused.StatusCode} {text}");
                Assert.Contains(FilePath, JsonNode.Parse(text)!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }

        // Nothing the refusals touched changed: the file's 0.10 stands on both nodes.
        await EveryNodeAnswers(market, 402, "the file's budget of 0.10");

        // The file raised: node a restarts with it, and both nodes apply it (a announces it); b's restart keeps it.
        market.File = market.File with { Budget = new BudgetSpec { Amount = High, Currency = "USD", Period = "total" } };
        await market.Restart("a");
        await EveryNodeAnswers(market, 200, "the file raised to 100, a restarted");
        await market.Restart("b");
        await EveryNodeAnswers(market, 200, "the file raised to 100, both restarted");

        // Taken out of the file: gone at the next start, and then the admin API's to set.
        market.File = market.File with { Budget = null, Diversification = null };
        await market.Restart("a");
        await market.Restart("b");
        Assert.All(market.Nodes, n => Assert.Null(Limit(n, "account:" + id)));
        Assert.All(market.Nodes, n => Assert.Null(n.Services.GetRequiredService<Diversifier>().PolicyOf(id)));
        Assert.Equal(200, (int)(await Admin(market["b"], HttpMethod.Put, $"admin/accounts/{id}/budget", new { amount = Low, currency = "USD", period = "total" })).StatusCode);
        await EveryNodeAnswers(market, 402, "set through the API once the file no longer defines it");

        // And put back into the file: the file takes it over at the next start (its value, on every node).
        market.File = market.File with { Budget = new BudgetSpec { Amount = High, Currency = "USD", Period = "total" } };
        await market.Restart("a");
        await EveryNodeAnswers(market, 200, "the file defines it again");
        Assert.Equal(409, (int)(await Admin(market["b"], HttpMethod.Put, $"admin/accounts/{id}/budget", new { amount = Low, currency = "USD", period = "total" })).StatusCode);
    }

    [Fact]
    public async Task LimitsAndCapsSetThroughTheApi_ApplyOnEveryNode_AndSurviveRestartsOfEither()
    {
        await using var seller = await FaultyUpstream.StartAsync();
        await using var market = await TwoNodes(seller);
        var id = market.Account;

        var set = await Admin(market["a"], HttpMethod.Put, $"admin/accounts/{id}/limits", new { requests_per_minute = 2 });
        Assert.True(set.IsSuccessStatusCode, await set.Content.ReadAsStringAsync());
        await Eventually(() => market.Nodes.All(n => n.Services.GetRequiredService<RateLimits>().Scopes.Contains("account:" + id)), "node b never applied limits set through a");
        // Two a minute for the account, counted by both nodes together: the third is refused on b.
        Assert.Equal(200, await Chat(market["b"]));
        Assert.Equal(200, await Chat(market["a"]));
        Assert.Equal(429, await Chat(market["b"]));
        await market.Restart("b");
        Assert.Equal(429, await Chat(market["b"]));
        await market.Restart("a");
        Assert.Equal(429, await Chat(market["a"]));
        // Removed through b: both serve again.
        Assert.Equal(204, (int)(await Admin(market["b"], HttpMethod.Delete, $"admin/accounts/{id}/limits")).StatusCode);
        await EveryNodeAnswers(market, 200, "limits removed through b");

        var caps = await Admin(market["b"], HttpMethod.Put, $"admin/accounts/{id}/diversification", new { max_seller_share = 0.5, window_minutes = 30 });
        Assert.True(caps.IsSuccessStatusCode, await caps.Content.ReadAsStringAsync());
        var expected = new DiversificationSpec { MaxSellerShare = 0.5, WindowMinutes = 30 }.ToPolicy(out _);
        Assert.NotNull(expected);
        await Eventually(() => market.Nodes.All(n => n.Services.GetRequiredService<Diversifier>().PolicyOf(id) == expected), "node a never applied caps set through b");
        await market.Restart("a");
        await market.Restart("b");
        Assert.All(market.Nodes, n => Assert.Equal(expected, n.Services.GetRequiredService<Diversifier>().PolicyOf(id)));
        Assert.Equal(200, (int)(await Admin(market["a"], HttpMethod.Put, $"admin/accounts/{id}/diversification", new { })).StatusCode);
        await Eventually(() => market.Nodes.All(n => n.Services.GetRequiredService<Diversifier>().PolicyOf(id) is null), "caps cleared through a stayed on b");
        await market.Restart("b");
        Assert.Null(market["b"].Services.GetRequiredService<Diversifier>().PolicyOf(id));
    }

    [Fact]
    public async Task AKeyRevokedAndASellerAddedThenRemoved_StaySoOnEveryNode_AcrossRestarts()
    {
        await using var seller = await FaultyUpstream.StartAsync();
        await using var cheap = await FaultyUpstream.StartAsync();
        await using var market = await TwoNodes(seller);

        var issued = JsonNode.Parse(await (await Admin(market["a"], HttpMethod.Post, $"admin/accounts/{market.Account}/keys")).Content.ReadAsStringAsync())!;
        var key = (string)issued["key"]!;
        var watch = Stopwatch.StartNew();
        while (await Chat(market["b"], key) != 200)
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), "node b never accepted a key issued on a");
            await Task.Delay(25);
        }

        Assert.Equal(204, (int)(await Admin(market["b"], HttpMethod.Delete, $"admin/keys/{(string)issued["key_id"]!}")).StatusCode);
        await market.Restart("a");
        Assert.Equal(401, await Chat(market["a"], key));
        await market.Restart("b");
        Assert.Equal(401, await Chat(market["b"], key));

        var put = await Admin(market["a"], HttpMethod.Put, "admin/providers/cheap",
            new { kind = "openai", base_url = cheap.V1.AbsoluteUri, jurisdiction = "US", models = new[] { "m" }, price = new { input = 1, output = 1 } });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        await market.Restart("b");
        var before = cheap.Calls;
        Assert.Equal(200, await Chat(market["b"]));
        Assert.Equal(before + 1, cheap.Calls); // the cheaper seller added through a, after b's restart

        Assert.Equal(204, (int)(await Admin(market["b"], HttpMethod.Delete, "admin/providers/cheap")).StatusCode);
        await market.Restart("a");
        before = cheap.Calls;
        await EveryNodeAnswers(market, 200, "after the seller was removed");
        Assert.Equal(before, cheap.Calls); // removed through b: no node routes to it
        Assert.Equal(409, (int)(await Admin(market["a"], HttpMethod.Delete, "admin/providers/s")).StatusCode); // the file's seller
    }

    [Fact]
    public async Task OnASingleNode_TheSameRuleHolds_AcrossRestarts()
    {
        await using var seller = await FaultyUpstream.StartAsync();
        await using var market = new Market(cluster: false, seller);
        market.File = new AccountSpec { Id = market.Account, Keys = [Key], Limits = new LimitsSpec { RequestsPerMinute = 1000 } };
        await market.Start("one");
        var id = market.Account;

        Assert.Equal(200, (int)(await Admin(market["one"], HttpMethod.Put, $"admin/accounts/{id}/budget", new { amount = High, currency = "USD", period = "total" })).StatusCode);
        Assert.Equal(200, (int)(await Admin(market["one"], HttpMethod.Put, $"admin/accounts/{id}/budget", new { amount = Low, currency = "USD", period = "total" })).StatusCode);
        Assert.Equal(200, (int)(await Admin(market["one"], HttpMethod.Put, $"admin/accounts/{id}/diversification", new { max_jurisdiction_share = 0.7 })).StatusCode);
        Assert.Equal(409, (int)(await Admin(market["one"], HttpMethod.Put, $"admin/accounts/{id}/limits", new { requests_per_minute = 5 })).StatusCode);
        await market.Restart("one");
        Assert.Equal(402, await Chat(market["one"])); // the lowered budget, not the first one
        Assert.Equal(Low, Limit(market["one"], "account:" + id));
        Assert.Equal(0.7, market["one"].Services.GetRequiredService<Diversifier>().PolicyOf(id)?.MaxJurisdictionShare);

        // The file takes the budget over: its value at the next start, and 409 for the API from then on.
        market.File = market.File with { Budget = new BudgetSpec { Amount = High, Currency = "USD", Period = "total" } };
        await market.Restart("one");
        Assert.Equal(200, await Chat(market["one"]));
        Assert.Equal(409, (int)(await Admin(market["one"], HttpMethod.Put, $"admin/accounts/{id}/budget", new { amount = Low, currency = "USD", period = "total" })).StatusCode);
        market.File = market.File with { Budget = null };
        await market.Restart("one");
        Assert.Null(Limit(market["one"], "account:" + id));
    }
}
