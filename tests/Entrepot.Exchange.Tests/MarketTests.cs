using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Core.Network;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

/// <summary>The market over real HTTP: cable faults re-routing at once, signed heartbeats moving spot
/// prices and taking silent nodes out, the price index, diversification caps and trade flows.</summary>
public class MarketTests
{
    private const string Key = "ent-market-test-buyer-key-000";
    private const string AdminKey = "ent-market-test-admin-key-000";
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    private static string NewDir() => Path.Combine(Path.GetTempPath(), "entrepot-tests", "market-" + Guid.NewGuid().ToString("N")[..8]);

    private static async Task<ExchangeHost> Start(string dir, IEnumerable<ProviderSpec> providers, DiversificationSpec? diversification = null)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, DefaultSort = "price", Jurisdiction = "DE", Locode = "DEFRA", AdminKey = AdminKey },
            Accounts = [new AccountSpec { Id = "buyer", HomeJurisdiction = "DE", Keys = [Key], Diversification = diversification }],
            Providers = providers.ToList(),
        };
        var host = ExchangeHost.Create(config, dir);
        await host.StartAsync();
        return host;
    }

    private static ProviderSpec Seller(string id, FaultyUpstream upstream, string jurisdiction, string locode, decimal price, string kind = "openai", string? keyId = null) => new()
    {
        Id = id, Kind = kind, BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = jurisdiction, Locode = locode, Models = ["m"],
        Price = new PriceSpec { Input = price, Output = price }, Capacity = 4, ReceiptKeyId = keyId,
    };

    private static HttpClient Client(ExchangeHost host, string key) => host.Client(key);

    private static Task<HttpResponseMessage> Chat(HttpClient http, string body = Body) =>
        http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));

    private static async Task<JsonNode> Json(HttpResponseMessage r) => JsonNode.Parse(await r.Content.ReadAsStringAsync())!;

    private static async Task<JsonObject> ProviderStatus(HttpClient admin, string id) =>
        (JsonObject)(await Json(await admin.GetAsync("admin/providers"))).AsArray().Single(p => (string)p!["id"]! == id)!;

    [Fact]
    public async Task CuttingTheCablesOnASellersPath_ReroutesAtOnce_EveryPathCutIs503_AndACutSurvivesARestart()
    {
        await using var sg = await FaultyUpstream.StartAsync();
        var dir = NewDir();
        var host = await Start(dir, [Seller("sg", sg, "SG", "SGSIN", 1m)]);
        using var admin = Client(host, AdminKey);
        using var buyer = Client(host, Key);

        var before = await ProviderStatus(admin, "sg");
        var expected = CableNetwork.Default.Route("DEFRA", "SGSIN")!;
        Assert.Equal(Math.Round(expected.RoundTripMs, 1), (double)before["estimated_rtt_ms"]!);
        Assert.Equal(expected.Path, before["path"]!.AsArray().Select(p => (string)p!));

        // Cut every cable that lands on the Red Sea (as in February 2024, and worse): the next
        // estimate goes the long way round, and the path uses none of them.
        string[] redSea = ["EG", "SA", "DJ", "YE", "ER", "SD"];
        var cutSet = CableNetwork.Default.Cables
            .Where(c => c.Segments.Any(s => redSea.Contains(s.From[..2]) || redSea.Contains(s.To[..2])))
            .Select(c => c.Id).ToList();
        Assert.Contains(expected.Cables, cutSet.Contains);
        foreach (var cable in cutSet)
        {
            var cut = await admin.PostAsJsonAsync("admin/network/cuts", new { cable });
            Assert.Equal(200, (int)cut.StatusCode);
        }

        var after = await ProviderStatus(admin, "sg");
        var detour = CableNetwork.Default.Route("DEFRA", "SGSIN", cutSet.ToHashSet())!;
        Assert.Equal(Math.Round(detour.RoundTripMs, 1), (double)after["estimated_rtt_ms"]!);
        Assert.True(detour.RoundTripMs > expected.RoundTripMs + 50, after.ToJsonString());
        Assert.DoesNotContain(detour.Cables, cutSet.Contains);
        var network = await Json(await admin.GetAsync("admin/network"));
        Assert.Equal(cutSet.Order(), network["cut"]!.AsArray().Select(c => (string)c!).Order());
        Assert.All(cutSet, id => Assert.True((bool)network["cables"]!.AsArray().Single(c => (string)c!["id"]! == id)!["cut"]!));
        Assert.Equal(200, (int)(await Chat(buyer)).StatusCode);

        // Cut them all: no path is left, and the buyer is told so (not a timeout, not a 500).
        foreach (var c in CableNetwork.Default.Cables)
        {
            await admin.PostAsJsonAsync("admin/network/cuts", new { cable = c.Id });
        }

        var cutOff = await Chat(buyer);
        Assert.Equal(503, (int)cutOff.StatusCode);
        Assert.Equal("no_network_path", (string)(await Json(cutOff))["error"]!["code"]!);
        Assert.False((bool)(await ProviderStatus(admin, "sg"))["reachable"]!);

        // Bad input names the field and changes nothing.
        var unknown = await admin.PostAsJsonAsync("admin/network/cuts", new { cable = "no-such-cable" });
        Assert.Equal(404, (int)unknown.StatusCode);
        Assert.Equal("cable", (string)(await Json(unknown))["error"]!["param"]!);
        Assert.Equal(400, (int)(await admin.PostAsync("admin/network/cuts", new StringContent("[", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(401, (int)(await buyer.PostAsJsonAsync("admin/network/cuts", new { cable = "apg" })).StatusCode);

        await host.DisposeAsync();
        host = await Start(dir, [Seller("sg", sg, "SG", "SGSIN", 1m)]);
        using (var admin2 = Client(host, AdminKey))
        {
            Assert.Equal(CableNetwork.Default.Cables.Count, (await Json(await admin2.GetAsync("admin/network")))["cut"]!.AsArray().Count);
            foreach (var c in CableNetwork.Default.Cables)
            {
                Assert.Equal(200, (int)(await admin2.DeleteAsync("admin/network/cuts/" + c.Id)).StatusCode);
            }

            Assert.Equal(Math.Round(expected.RoundTripMs, 1), (double)(await ProviderStatus(admin2, "sg"))["estimated_rtt_ms"]!);
            using var buyer2 = Client(host, Key);
            Assert.Equal(200, (int)(await Chat(buyer2)).StatusCode);
        }

        await host.DisposeAsync();
    }

    [Fact]
    public async Task AHeartbeat_NarrowsTheListing_NeverWidensIt_PriceWithinItsBounds_CapacityAtMostListed()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        using var key = SigningKey.LoadOrCreate(NewDir());
        using var strictKey = SigningKey.LoadOrCreate(NewDir());
        var listed = Seller("node", upstream, "SG", "SGSIN", 1m, "exporter", key.KeyId) with { Models = ["m", "m2"] };
        var strict = Seller("strict", upstream, "SG", "SGSIN", 1m, "exporter", strictKey.KeyId) with
        {
            Models = ["m3"], PriceBounds = new PriceBoundsSpec { Min = 0.9m, Max = 1.1m },
        };
        await using var host = await Start(NewDir(), [listed, strict]);
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        using var buyer = Client(host, Key);
        using var admin = Client(host, AdminKey);
        var node = new HeartbeatNode(key, "node");

        // It announces a model the operator never listed, fewer of those it did, more capacity than
        // listed: the market keeps the listed model it still serves, ignores the other, caps capacity.
        var ack = await node.PostAsync(http, node.Beat(models: ["m", "gpt-5-premium"], capacity: 400, price: 1.5m));
        Assert.Equal(200, (int)ack.StatusCode);
        var ackJson = await Json(ack);
        Assert.Equal(["m"], ackJson["models"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(["gpt-5-premium"], ackJson["ignored_models"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(4, (int)ackJson["capacity"]!);
        var status = await ProviderStatus(admin, "node");
        Assert.Equal(["m"], status["models"]!.AsArray().Select(m => (string)m!));
        Assert.Equal(4, (int)status["capacity"]!);
        Assert.Equal(1.5m, (decimal)status["input_price"]!);
        Assert.Equal(404, (int)(await Chat(buyer, """{"model":"gpt-5-premium","messages":[{"role":"user","content":"hi"}]}""")).StatusCode);
        Assert.Equal(404, (int)(await Chat(buyer, """{"model":"m2","messages":[{"role":"user","content":"hi"}]}""")).StatusCode);

        // Price: outside half to twice the listed price, or in another currency, the heartbeat is refused
        // (the last accepted offer stands); no listed model at all, too.
        foreach (var beat in new[] { node.Beat(price: 2.5m), node.Beat(price: 0.4m), node.Beat(price: 1m, currency: "EUR") })
        {
            var refused = await node.PostAsync(http, beat);
            Assert.Equal(400, (int)refused.StatusCode);
            Assert.Equal("price", (string)(await Json(refused))["error"]!["param"]!);
        }

        var noModel = await node.PostAsync(http, node.Beat(models: ["gpt-5-premium"]));
        Assert.Equal("models", (string)(await Json(noModel))["error"]!["param"]!);
        Assert.Equal(1.5m, (decimal)(await ProviderStatus(admin, "node"))["input_price"]!);

        // Bounds are the operator's, per seller.
        var strictNode = new HeartbeatNode(strictKey, "strict");
        Assert.Equal(400, (int)(await strictNode.PostAsync(http, strictNode.Beat(models: ["m3"], price: 1.2m))).StatusCode);
        Assert.Equal(200, (int)(await strictNode.PostAsync(http, strictNode.Beat(models: ["m3"], price: 1.1m))).StatusCode);
        Assert.Equal(1.1m, (decimal)(await ProviderStatus(admin, "strict"))["input_price"]!);
    }

    [Fact]
    public async Task SignedHeartbeats_SetTheSpotPrice_TheBuyerPaysIt_AndASilentNodeLeavesTheMarket()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        using var key = SigningKey.LoadOrCreate(NewDir());
        using var intruder = SigningKey.LoadOrCreate(NewDir());
        await using var host = await Start(NewDir(), [Seller("node", upstream, "SG", "SGSIN", 1m, "exporter", key.KeyId)]);
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        using var buyer = Client(host, Key);
        var node = new HeartbeatNode(key, "node");

        // Fully busy: the spot price is 1.5 times the posted price.
        var ack = await node.PostAsync(http, node.Beat(inFlight: 4, price: 2m));
        Assert.Equal(200, (int)ack.StatusCode);
        var ackJson = await Json(ack);
        Assert.Equal(1.5m, (decimal)ackJson["spot_multiplier"]!);
        Assert.Equal(3m, (decimal)ackJson["spot_input_price"]!);
        var offer = (await Json(await buyer.GetAsync("v1/models/m")))["providers"]![0]!;
        Assert.Equal((3m, 2m, 1.0), ((decimal)offer["input_price"]!, (decimal)offer["posted_input_price"]!, (double)offer["load"]!));

        // max_price applies to the spot price; the trade is billed at it.
        var capped = await Chat(buyer, """{"model":"m","messages":[{"role":"user","content":"hi"}],"provider":{"max_price":{"prompt":2.5}}}""");
        Assert.Equal(404, (int)capped.StatusCode);
        Assert.Equal(200, (int)(await Chat(buyer)).StatusCode);
        await host.FlushAsync();
        Assert.Equal(4 * 3m / 1_000_000m, host.Trades.Recent(1).Single().Cost);

        // Idle again: back to the posted price.
        Assert.Equal(200, (int)(await node.PostAsync(http, node.Beat(inFlight: 0, price: 2m))).StatusCode);
        Assert.Equal(2m, (decimal)(await Json(await buyer.GetAsync("v1/models/m")))["providers"]![0]!["input_price"]!);

        // Only the pinned key may speak for the node; replays and bad fields are refused, naming why.
        var replay = node.Beat();
        Assert.Equal(200, (int)(await node.PostAsync(http, replay)).StatusCode);
        var again = await node.PostAsync(http, replay);
        Assert.Equal(409, (int)again.StatusCode);
        Assert.Equal("sequence", (string)(await Json(again))["error"]!["param"]!);
        var forged = node.Beat() with { PublicKey = Receipts.Base64Url(intruder.PublicKey) };
        Assert.Equal(403, (int)(await node.PostAsync(http, forged, intruder)).StatusCode);
        var badSignature = await node.PostAsync(http, node.Beat(), intruder); // right key named, wrong signer
        Assert.Equal(401, (int)badSignature.StatusCode);
        var unsigned = await http.PostAsync(Heartbeat.Path.TrimStart('/'), new StringContent(JsonSerializer.Serialize(node.Beat()), Encoding.UTF8, "application/json"));
        Assert.Equal(401, (int)unsigned.StatusCode);
        var badCapacity = await node.PostAsync(http, node.Beat() with { Capacity = 0 });
        Assert.Equal(400, (int)badCapacity.StatusCode);
        Assert.Equal("capacity", (string)(await Json(badCapacity))["error"]!["param"]!);
        var stranger = await new HeartbeatNode(key, "nobody").PostAsync(http, new HeartbeatNode(key, "nobody").Beat());
        Assert.Equal(404, (int)stranger.StatusCode);
        Assert.Equal(400, (int)(await http.PostAsync(Heartbeat.Path.TrimStart('/'), new StringContent("{", Encoding.UTF8, "application/json"))).StatusCode);

        // A node that stops heartbeating leaves the market after three intervals.
        Assert.Equal(200, (int)(await node.PostAsync(http, node.Beat(interval: 1))).StatusCode);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await buyer.GetAsync("v1/models/m")).IsSuccessStatusCode && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        var gone = await Chat(buyer);
        Assert.Equal(404, (int)gone.StatusCode);
        Assert.Equal("model_not_found", (string)(await Json(gone))["error"]!["code"]!);
        using var admin = Client(host, AdminKey);
        Assert.Null((await ProviderStatus(admin, "node"))["last_heartbeat"]);

        // ... and rejoins with its next heartbeat.
        Assert.Equal(200, (int)(await node.PostAsync(http, node.Beat())).StatusCode);
        Assert.Equal(200, (int)(await Chat(buyer)).StatusCode);
    }

    [Fact]
    public async Task DiversificationCap_SpreadsTraffic_OnceItBinds()
    {
        await using var cn = await FaultyUpstream.StartAsync();
        await using var us = await FaultyUpstream.StartAsync();
        await using var host = await Start(NewDir(), [Seller("cn", cn, "CN", "CNSHA", 0.1m), Seller("us", us, "US", "USIAD", 5m)]);
        using var buyer = Client(host, Key);
        using var admin = Client(host, AdminKey);
        Assert.Equal(200, (int)(await admin.PutAsJsonAsync("admin/accounts/buyer/diversification",
            new DiversificationSpec { MaxJurisdictionShare = 0.5, WindowMinutes = 60, MinTokens = 8 })).StatusCode);
        var served = new List<string>();
        var diversified = 0;
        for (var i = 0; i < 20; i++)
        {
            var r = await Chat(buyer);
            Assert.Equal(200, (int)r.StatusCode);
            served.Add(r.Headers.GetValues("Entrepot-Provider").Single());
            diversified += r.Headers.Contains("Entrepot-Diversified") ? 1 : 0;
            await host.FlushAsync(); // the exposure counts each trade before the next request
        }

        // Cheapest first (cn) until CN holds half the tokens; then the cap sends traffic to the US.
        Assert.Equal(["cn", "cn"], served.Take(2));
        Assert.InRange(served.Count(s => s == "cn"), 9, 11);
        Assert.InRange(served.Count(s => s == "us"), 9, 11);
        Assert.True(diversified >= 8, $"{diversified} responses named capped sellers");

        var bad = await admin.PutAsJsonAsync("admin/accounts/buyer/diversification", new { max_jurisdiction_share = 1.5 });
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal("max_jurisdiction_share", (string)(await Json(bad))["error"]!["param"]!);
        Assert.Equal(404, (int)(await admin.PutAsJsonAsync("admin/accounts/nobody/diversification", new { max_seller_share = 0.5 })).StatusCode);

        // Lifting the cap: the cheapest seller takes everything again.
        Assert.Equal(200, (int)(await admin.PutAsJsonAsync("admin/accounts/buyer/diversification", new { })).StatusCode);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("cn", (await Chat(buyer)).Headers.GetValues("Entrepot-Provider").Single());
        }
    }

    [Fact]
    public async Task PriceIndexAndTradeFlows_ComeFromTheTradesThemselves()
    {
        await using var cn = await FaultyUpstream.StartAsync();
        await using var us = await FaultyUpstream.StartAsync();
        await using var host = await Start(NewDir(), [Seller("cn", cn, "CN", "CNSHA", 0.5m), Seller("us", us, "US", "USIAD", 2m)]);
        using var buyer = Client(host, Key);
        using var admin = Client(host, AdminKey);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(200, (int)(await Chat(buyer)).StatusCode);
        }

        Assert.Equal(200, (int)(await Chat(buyer, """{"model":"m","messages":[{"role":"user","content":"hi"}],"provider":{"only":["us"]}}""")).StatusCode);
        await host.FlushAsync();

        var index = await Json(await buyer.GetAsync("v1/market/index"));
        var points = index["data"]!.AsArray();
        var cnPoint = points.Single(p => (string)p!["jurisdiction"]! == "CN")!;
        Assert.Equal(("unsized", 12L, 3), ((string)cnPoint["model_class"]!, (long)cnPoint["tokens"]!, (int)cnPoint["trades"]!));
        Assert.Equal(0.5m, (decimal)cnPoint["price_per_million"]!); // 12 tokens at 0.5 per million, volume-weighted
        Assert.Equal(2m, (decimal)points.Single(p => (string)p!["jurisdiction"]! == "US")!["price_per_million"]!);
        Assert.Single((await Json(await buyer.GetAsync("v1/market/index?jurisdiction=us&interval=day")))["data"]!.AsArray());
        Assert.Equal(400, (int)(await buyer.GetAsync("v1/market/index?interval=week")).StatusCode);
        Assert.Equal(401, (int)(await new HttpClient { BaseAddress = host.BaseUrl }.GetAsync("v1/market/index")).StatusCode);
        // Kept in the store: a second read counts nothing twice.
        Assert.Equal(12L, (long)(await Json(await admin.GetAsync("v1/market/index?jurisdiction=CN")))["data"]![0]!["tokens"]!);

        var flows = await Json(await admin.GetAsync("v1/trade/flows?period=1d"));
        var corridors = flows["corridors"]!.AsArray();
        Assert.Equal(("DE", "US", 4L), ((string)corridors[0]!["origin"]!, (string)corridors[0]!["destination"]!, (long)corridors[0]!["tokens"]!));
        Assert.Equal(("DE", "CN", 12L), ((string)corridors[1]!["origin"]!, (string)corridors[1]!["destination"]!, (long)corridors[1]!["tokens"]!));
        var de = flows["balances"]!.AsArray().Single(b => (string)b!["jurisdiction"]! == "DE")!;
        Assert.Equal(16L, (long)de["import_tokens"]!);
        Assert.Equal(-(12 * 0.5m + 4 * 2m) / 1_000_000m, (decimal)de["balance"]!);

        var csv = await admin.GetStringAsync("v1/trade/flows?period=1d&format=csv");
        Assert.StartsWith("section,day,origin,destination", csv);
        Assert.Contains(",DE,CN,,USD,3,12,", csv);
        var bad = await admin.GetAsync("v1/trade/flows?period=fortnight");
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Equal("period", (string)(await Json(bad))["error"]!["param"]!);
        Assert.Equal(3, (int)(await Json(await buyer.GetAsync("v1/trade/flows?period=1d")))["flows"]!.AsArray().Single(f => (string)f!["destination"]! == "CN")!["trades"]!);
    }
}
