using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Network;

namespace Entrepot.EndToEnd.Tests;

public class FastHeartbeatDemoFixture : DemoFixture
{
    protected override double HeartbeatSeconds => 1;
}

/// <summary>The demo market as a market: nodes heartbeat their offers, a silent node leaves, a cable
/// cut through the CLI re-routes and lengthens the emulated link, and the trade report reads it all.</summary>
public class MarketDemoTests(FastHeartbeatDemoFixture demo) : IClassFixture<FastHeartbeatDemoFixture>
{
    private HttpClient Admin()
    {
        var http = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", demo.Market.AdminKey);
        return http;
    }

    private async Task<int> Offers()
    {
        var r = await demo.Http.GetAsync("models/" + demo.Market.ModelName);
        return r.IsSuccessStatusCode ? JsonNode.Parse(await r.Content.ReadAsStringAsync())!["providers"]!.AsArray().Count : 0;
    }

    private static async Task Until(Func<Task<bool>> condition, string what, int seconds = 15)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(200);
        }
    }

    private Task<HttpResponseMessage> Ask(string seller) => demo.Http.PostAsync("chat/completions", new StringContent(
        $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":6,"provider":{"only":["{{{seller}}}"]}}""",
        Encoding.UTF8, "application/json"));

    [Fact]
    public async Task EveryNodeHeartbeats_ASilentNodeLeavesTheMarket_AndComesBack()
    {
        using var admin = Admin();
        await Until(async () => JsonNode.Parse(await admin.GetStringAsync("admin/providers"))!.AsArray().All(p => p!["last_heartbeat"] is not null),
            "every node has heartbeated");
        Assert.Equal(4, await Offers());

        // The Shanghai node keeps serving but stops publishing: after three intervals it is out.
        await demo.Market.Nodes["cn-shanghai"].StopHeartbeatsAsync();
        await Until(async () => await Offers() == 3, "cn-shanghai left the market");
        var excluded = await Ask("cn-shanghai");
        Assert.Equal(404, (int)excluded.StatusCode);
        Assert.Contains("no_eligible_provider", await excluded.Content.ReadAsStringAsync());
        Assert.Equal(200, (int)(await Ask("sg-singapore")).StatusCode);

        demo.Market.Nodes["cn-shanghai"].StartHeartbeats(new Exporter.Hosting.MarketSection
        {
            ExchangeUrls = [demo.Market.Exchange.BaseUrl.AbsoluteUri], IntervalSeconds = 1,
        });
        await Until(async () => await Offers() == 4, "cn-shanghai is back");
        Assert.Equal(200, (int)(await Ask("cn-shanghai")).StatusCode);
    }

    [Fact]
    public async Task CuttingTheRedSeaCables_ThroughTheCli_IsFeltByTheDemosLinkToSingapore()
    {
        var market = demo.Market.Exchange.Market;
        var sg = market.Routes.Find("sg-singapore")!.Provider;
        var direct = market.PathTo(sg)!;
        var node = demo.Market.Nodes["sg-singapore"];
        Assert.Equal((int)Math.Round(direct.RoundTripMs * 0.1), node.EmulatedDelayMs);

        string[] redSea = ["EG", "SA", "DJ", "YE", "ER", "SD"];
        var cut = CableNetwork.Default.Cables.Where(c => c.Segments.Any(s => redSea.Contains(s.From[..2]) || redSea.Contains(s.To[..2]))).Select(c => c.Id).ToList();
        string[] connect = ["--url", demo.Market.Exchange.BaseUrl.AbsoluteUri, "--admin-key", demo.Market.AdminKey];
        foreach (var cable in cut)
        {
            var (code, output) = await EntrepotCli.RunAsync(["network", "cut", cable, .. connect]);
            Assert.True(code == 0, output);
            Assert.Contains("cut " + cable, output);
        }

        var detour = market.PathTo(sg)!;
        Assert.True(detour.RoundTripMs > direct.RoundTripMs + 50, $"{direct.RoundTripMs} -> {detour.RoundTripMs}");
        Assert.Equal((int)Math.Round(detour.RoundTripMs * 0.1), node.EmulatedDelayMs);
        var started = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(200, (int)(await Ask("sg-singapore")).StatusCode);
        Assert.True(started.ElapsedMilliseconds >= node.EmulatedDelayMs, $"{started.ElapsedMilliseconds} ms < {node.EmulatedDelayMs} ms");

        var (badCode, badOutput) = await EntrepotCli.RunAsync(["network", "cut", "no-such-cable", .. connect]);
        Assert.Equal(64, badCode);
        Assert.Contains("404", badOutput);
        Assert.Contains("no-such-cable", badOutput);

        foreach (var cable in cut)
        {
            var (code, output) = await EntrepotCli.RunAsync(["network", "restore", cable, .. connect]);
            Assert.True(code == 0, output);
        }

        Assert.Equal((int)Math.Round(direct.RoundTripMs * 0.1), node.EmulatedDelayMs);
    }

    [Fact]
    public async Task TradeReport_ShowsTheCorridorsTheDemoTraded()
    {
        Assert.Equal(200, (int)(await Ask("sg-singapore")).StatusCode);
        Assert.Equal(200, (int)(await Ask("us-ashburn")).StatusCode);
        await demo.Market.Exchange.FlushAsync();

        var (code, json) = await EntrepotCli.RunAsync("report", "trade", "--period", "1d", "--format", "json", "--data-dir", demo.DataDir);
        Assert.True(code == 0, json);
        var report = JsonNode.Parse(json)!;
        var corridors = report["corridors"]!.AsArray().Select(c => $"{c!["origin"]}>{c["destination"]}").ToList();
        Assert.Contains("DE>SG", corridors);
        Assert.Contains("DE>US", corridors);
        Assert.True((decimal)report["balances"]!.AsArray().Single(b => (string)b!["jurisdiction"]! == "DE")!["balance"]! < 0);

        var (_, csv) = await EntrepotCli.RunAsync("report", "trade", "--period", "1d", "--format", "csv", "--data-dir", demo.DataDir);
        Assert.StartsWith("section,day,origin", csv);
        Assert.Contains("corridor,,DE,SG,", csv);

        var (_, table) = await EntrepotCli.RunAsync("report", "trade", "--period", "1d", "--data-dir", demo.DataDir);
        Assert.Contains("Top corridors", table);
        Assert.Contains("Trade balance", table);

        var (badCode, bad) = await EntrepotCli.RunAsync("report", "trade", "--period", "last week", "--data-dir", demo.DataDir);
        Assert.Equal(64, badCode);
        Assert.Contains("--period", bad);
    }
}

/// <summary>`entrepot network rtt` needs no running exchange: the network ships in the program.</summary>
public class NetworkCliTests
{
    [Fact]
    public async Task Rtt_PrintsTheEstimateAndPath_AsTextOrJson_AndSaysWhenUnreachable()
    {
        var (code, json) = await EntrepotCli.RunAsync("network", "rtt", "--from", "SGSIN", "--to", "DEFRA", "--json");
        Assert.True(code == 0, json);
        var route = JsonNode.Parse(json)!;
        var expected = CableNetwork.Default.Route("SGSIN", "DEFRA")!;
        Assert.Equal(Math.Round(expected.RoundTripMs, 1), (double)route["rtt_ms"]!);
        Assert.Equal(expected.Path, route["path"]!.AsArray().Select(p => (string)p!));
        Assert.Equal(expected.Cables, route["cables"]!.AsArray().Select(p => (string)p!));

        // Cut what it used: the answer changes and avoids those cables.
        var cutArgs = expected.Cables.SelectMany(c => new[] { "--cut", c }).ToArray();
        var (_, detourJson) = await EntrepotCli.RunAsync(["network", "rtt", "--from", "SGSIN", "--to", "DEFRA", "--json", .. cutArgs]);
        var detour = JsonNode.Parse(detourJson)!;
        Assert.True((double)detour["rtt_ms"]! > (double)route["rtt_ms"]!);
        Assert.DoesNotContain(detour["cables"]!.AsArray().Select(c => (string)c!), expected.Cables.Contains);

        var (textCode, text) = await EntrepotCli.RunAsync("network", "rtt", "--from", "hkhkg", "--to", "uslax");
        Assert.Equal(0, textCode);
        Assert.Contains("HKHKG (Hong Kong) -> USLAX", text);
        Assert.Contains("cables:", text);

        var all = CableNetwork.Default.Cables.SelectMany(c => new[] { "--cut", c.Id }).ToArray();
        var (offCode, off) = await EntrepotCli.RunAsync(["network", "rtt", "--from", "SGSIN", "--to", "USLAX", .. all]);
        Assert.Equal(1, offCode);
        Assert.Contains("unreachable", off);
        var (_, offJson) = await EntrepotCli.RunAsync(["network", "rtt", "--from", "SGSIN", "--to", "USLAX", "--json", .. all]);
        Assert.False((bool)JsonNode.Parse(offJson)!["reachable"]!);

        var (badCode, bad) = await EntrepotCli.RunAsync("network", "rtt", "--from", "SGSIN", "--to", "XXNOP");
        Assert.Equal(64, badCode);
        Assert.Contains("--to", bad);
        var (badCut, badCutText) = await EntrepotCli.RunAsync("network", "rtt", "--from", "SGSIN", "--to", "DEFRA", "--cut", "no-such-cable");
        Assert.Equal(64, badCut);
        Assert.Contains("no-such-cable", badCutText);
    }
}
