using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using OpenAI.Chat;

namespace Entrepot.EndToEnd.Tests;

/// <summary>The dashboard in headless Chromium (Debian's), against the demo market after real traffic.</summary>
public class DashboardTests : IClassFixture<DashboardTests.Market>
{
    public sealed class Market : DemoFixture;

    private readonly Market _demo;

    public DashboardTests(Market demo) => _demo = demo;

    /// <summary>Where screenshots are kept after the run (git-ignored).</summary>
    public static string Artifacts
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Entrepot.slnx")))
            {
                dir = dir.Parent;
            }

            var path = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "artifacts");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    private static async Task<IBrowser> LaunchAsync(IPlaywright playwright) => await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : null,
        Headless = true,
        // Offline machine: no background calls home, no sandbox as root, no GPU.
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    [Fact]
    public async Task Map_ShowsCablesNodesAndLiveFlows_AndACutThroughTheUi()
    {
        // Real traffic first: an unmodified OpenAI client buying from the market.
        var chat = _demo.Chat();
        for (var i = 0; i < 3; i++)
        {
            var answer = await chat.CompleteChatAsync([new UserChatMessage("Once upon a time")], new ChatCompletionOptions { MaxOutputTokenCount = 12 });
            Assert.False(string.IsNullOrEmpty(answer.Value.Content[0].Text));
        }

        // ... and one pinned across the border, so a flow runs along the cables to Singapore.
        var pinned = await _demo.Http.PostAsync("chat/completions", new StringContent(
            $$$"""{"model":"{{{_demo.Market.ModelName}}}","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":8,"provider":{"only":["sg-singapore"]}}""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)pinned.StatusCode);

        // ... and one the border steps in on: an EU e-mail address to a seller without safeguards goes
        // out replaced. (Declared health data would be refused: redaction cannot remove what the
        // scanner cannot find.)
        using var personal = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = new StringContent(
                $$$"""{"model":"{{{_demo.Market.ModelName}}}","messages":[{"role":"user","content":"Write to jane.doe@example.com"}],"max_tokens":8,"provider":{"only":["cn-shanghai"]}}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        var redacted = await _demo.Http.SendAsync(personal);
        Assert.True((int)redacted.StatusCode == 200 && redacted.Headers.GetValues("Entrepot-Policy").Single().StartsWith("verdict=redact", StringComparison.Ordinal),
            $"{(int)redacted.StatusCode} {string.Join(";", redacted.Headers.Select(h => h.Key + "=" + string.Join(",", h.Value)))}");
        await _demo.Market.Exchange.FlushAsync();

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1500 } });
        var failed = new List<string>();
        page.RequestFailed += (_, r) => failed.Add(r.Url);
        page.PageError += (_, e) => failed.Add("script error: " + e);
        var baseUrl = _demo.Market.Exchange.BaseUrl.AbsoluteUri.TrimEnd('/');
        await page.GotoAsync($"{baseUrl}/#key={_demo.Market.AdminKey}");
        await page.WaitForSelectorAsync("body[data-ready='1']", new PageWaitForSelectorOptions { Timeout = 15000 });

        // The map: land, every cable of the network, the exchange and the four exporter nodes, trading.
        Assert.True(await page.Locator("#land path").CountAsync() > 15);
        var network = Json(await Admin().GetStringAsync("admin/network"));
        var cableIds = network["cables"]!.AsArray().Select(c => (string)c!["id"]!).ToList();
        foreach (var id in cableIds)
        {
            Assert.True(await page.Locator($"#cables path[data-cable='{id}']").CountAsync() > 0, id);
        }

        Assert.Equal(1, await page.Locator("#nodes circle[data-exchange='DEFRA']").CountAsync());
        foreach (var node in _demo.Market.Nodes.Keys)
        {
            Assert.Equal(1, await page.Locator($"#nodes circle.up[data-seller='{node}']").CountAsync());
        }

        // A live flow drawn along the cable path to the seller that served the traffic.
        foreach (var served in _demo.Market.Exchange.Trades.Recent(4).Select(u => u.ProviderId!).Distinct())
        {
            await page.WaitForSelectorAsync($"#flows path.flow[data-provider='{served}']", new PageWaitForSelectorOptions { Timeout = 10000 });
        }

        Assert.True(await page.Locator("#flows path.flow[data-provider='sg-singapore']").CountAsync() >= 1);
        Assert.True(await page.Locator("#flow-table tbody tr").CountAsync() >= 4);
        Assert.False(await page.Locator("#login").IsVisibleAsync());
        await page.WaitForSelectorAsync("#ledger dd.state-ok", new PageWaitForSelectorOptions { Timeout = 10000 });
        Assert.Contains("chain and signatures verified", await page.Locator("#ledger").InnerTextAsync());
        Assert.Contains("DE → CN", await page.Locator("#compliance tbody tr").First.InnerTextAsync());
        Assert.Equal(1, await page.Locator("#compliance tbody tr").First.Locator("td.verdict-redact").CountAsync());
        Assert.True(await page.Locator("#index-chart circle").CountAsync() >= 1);

        // Cut, through the UI, a cable on the path to Singapore: the map shows it cut, the exchange
        // re-routes, and the demo's emulated link to Singapore takes the longer way.
        var sgPath = network["sellers"]!.AsArray().Single(s => (string)s!["provider"]! == "sg-singapore")!;
        var before = (double)sgPath["estimated_rtt_ms"]!;
        var delayBefore = _demo.Market.Nodes["sg-singapore"].EmulatedDelayMs;
        var onPath = _demo.Market.Exchange.Market.PathTo(_demo.Market.Exchange.Market.Routes.Find("sg-singapore")!.Provider)!.Cables;
        var victim = onPath[0];
        await page.ClickAsync($"#cable-list button[data-cut='{victim}']");
        await page.WaitForSelectorAsync($"#cables path.cut[data-cable='{victim}']", new PageWaitForSelectorOptions { Timeout = 10000 });
        Assert.Equal(1, await page.Locator($"#cables text[data-cut-mark='{victim}']").CountAsync());
        Assert.Equal("cut", await page.Locator($"#cable-list tr[data-cable='{victim}'] td:nth-child(4)").InnerTextAsync());
        Assert.Contains(victim, Json(await Admin().GetStringAsync("admin/network"))["cut"]!.AsArray().Select(c => (string)c!));
        var after = Json(await Admin().GetStringAsync("admin/network"))["sellers"]!.AsArray().Single(s => (string)s!["provider"]! == "sg-singapore")!;
        Assert.True((double)after["estimated_rtt_ms"]! > before, $"the cut must lengthen the route: {before} -> {after["estimated_rtt_ms"]}");
        Assert.DoesNotContain(victim, _demo.Market.Exchange.Market.PathTo(_demo.Market.Exchange.Market.Routes.Find("sg-singapore")!.Provider)!.Cables);
        Assert.True(_demo.Market.Nodes["sg-singapore"].EmulatedDelayMs >= delayBefore);

        var shot = Path.Combine(Artifacts, "dashboard.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = shot, FullPage = true });
        Assert.True(new FileInfo(shot).Length > 20_000);

        // Restore through the UI as well.
        await page.ClickAsync($"#cable-list button[data-restore='{victim}']");
        await page.WaitForSelectorAsync($"#cables path[data-cable='{victim}']:not(.cut)", new PageWaitForSelectorOptions { Timeout = 10000 });
        Assert.Empty(failed);
    }

    [Fact]
    public async Task WithoutAKey_ThePageAsks_AndAWrongKeyIsRefused()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(_demo.Market.Exchange.BaseUrl.AbsoluteUri);
        await page.WaitForSelectorAsync("#login:not([hidden])");
        await page.FillAsync("#admin-key", "ent-admin-wrong-key-0000000000");
        await page.ClickAsync("#login button");
        await page.WaitForSelectorAsync("#status.error");
        Assert.Contains("refused", await page.Locator("#status").InnerTextAsync());
        Assert.Equal(401, (int)(await new HttpClient().GetAsync(new Uri(_demo.Market.Exchange.BaseUrl, "admin/dashboard"))).StatusCode);
    }

    private HttpClient Admin()
    {
        var http = new HttpClient { BaseAddress = _demo.Market.Exchange.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _demo.Market.AdminKey);
        return http;
    }

    private static JsonNode Json(string text) => JsonNode.Parse(text)!;
}
