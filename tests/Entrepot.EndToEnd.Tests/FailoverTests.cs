using System.Text.Json;
using Entrepot.Cli.Demo;
using OpenAI.Chat;

namespace Entrepot.EndToEnd.Tests;

public class SmallNodeDemoFixture : DemoFixture
{
    // us-ashburn takes one request at a time, queues none, and holds each for 3 s.
    protected override IReadOnlyDictionary<string, DemoNodeOverride> Overrides => new Dictionary<string, DemoNodeOverride>
    {
        ["us-ashburn"] = new(MaxConcurrency: 1, MaxQueue: 0, DelayMs: 3000),
    };
}

/// <summary>Sellers that go away or fill up: the buyer should not notice.</summary>
public class FailoverTests(SmallNodeDemoFixture demo) : IClassFixture<SmallNodeDemoFixture>
{
    private string Pinned(string first, int maxTokens = 5) =>
        $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":{{{maxTokens}}},"provider":{"order":["{{{first}}}"]}}""";

    [Fact]
    public async Task SaturatedExporter_Answers429_AndExchangeMovesOn()
    {
        var node = demo.Market.Nodes["us-ashburn"];
        using var direct = demo.NodeClient(node.BaseUrl);
        // The demo's nodes serve only requests the exchange signed: sign this one with its key.
        var json = $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":3}""";
        using var exchangeKey = Core.Trust.SigningKey.LoadOrCreate(demo.Market.Exchange.Settings.DataDir);
        var signed = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json.Body(json) };
        signed.Headers.Add("Entrepot-Buyer-Jurisdiction", "DE");
        Entrepot.Tests.SignedRequest.Sign(signed, exchangeKey, "us-ashburn", System.Text.Encoding.UTF8.GetBytes(json), "req_direct");
        var occupying = direct.SendAsync(signed);
        await WaitUntil(() => node.Admission.InFlight == 1);

        // The node itself refuses a second (signed) request at once, with Retry-After.
        var second = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json.Body(json) };
        second.Headers.Add("Entrepot-Buyer-Jurisdiction", "DE");
        Entrepot.Tests.SignedRequest.Sign(second, exchangeKey, "us-ashburn", System.Text.Encoding.UTF8.GetBytes(json), "req_direct_2");
        var refused = await direct.SendAsync(second);
        await refused.AssertOpenAIErrorAsync(429);
        Assert.True(refused.Headers.RetryAfter is not null);

        var rejectedBefore = node.Admission.Rejected;
        var response = await demo.Http.PostChatAsync(Pinned("us-ashburn"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.NotEqual("us-ashburn", response.Header("Entrepot-Provider"));
        Assert.Equal(rejectedBefore + 1, node.Admission.Rejected);
        Assert.Equal(200, (int)(await occupying).StatusCode);
    }

    [Fact]
    public async Task StoppedExporter_NextRequestFailsOver_NoErrorToBuyer()
    {
        await demo.Market.StopNodeAsync("sg-singapore");

        var client = demo.Chat();
        for (var i = 0; i < 3; i++)
        {
            var response = await demo.Http.PostChatAsync(Pinned("sg-singapore"));
            Assert.Equal(200, (int)response.StatusCode);
            Assert.NotEqual("sg-singapore", response.Header("Entrepot-Provider"));
            var text = (await response.ReadJsonAsync()).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            Assert.False(string.IsNullOrEmpty(text));
        }

        // The official client sees nothing of it either, streaming included.
        var streamed = 0;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Once")], new ChatCompletionOptions { MaxOutputTokenCount = 5 }))
        {
            streamed += update.ContentUpdate.Count;
        }

        Assert.True(streamed > 0);

        // After repeated failures the circuit is open: the dead seller is listed as such.
        using var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", demo.Market.AdminKey);
        var providers = JsonDocument.Parse(await admin.GetStringAsync("admin/providers")).RootElement;
        var sg = providers.EnumerateArray().Single(p => p.GetProperty("id").GetString() == "sg-singapore");
        Assert.Equal("open", sg.GetProperty("circuit").GetString());
        Assert.True(sg.GetProperty("failures").GetInt64() >= 3);

        await demo.Market.Exchange.FlushAsync();
        var rows = demo.Market.Exchange.Trades.Recent(50);
        Assert.Contains(rows, r => r.Attempts >= 2 && r.Outcome == "completed");
    }

    [Fact]
    public async Task NoFallbacksAllowed_DeadSellerGives502NotAnotherCountry()
    {
        await demo.Market.StopNodeAsync("cn-shanghai");
        var response = await demo.Http.PostChatAsync(
            $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"x"}],"max_tokens":3,"provider":{"order":["cn-shanghai"],"allow_fallbacks":false}}""");
        var error = await response.AssertOpenAIErrorAsync(502);
        Assert.Equal("upstream_unavailable", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task ClientDisconnect_CancelsUpstreamGeneration()
    {
        var node = demo.Market.Nodes["de-frankfurt"];
        // A buyer that really leaves: its connection closes. (A pooled client would first read up to a
        // megabyte of the rest to keep the connection, long enough for 400 tokens to finish.)
        using var leaving = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = demo.Http.BaseAddress };
        foreach (var h in demo.Http.DefaultRequestHeaders)
        {
            leaving.DefaultRequestHeaders.TryAddWithoutValidation(h.Key, h.Value);
        }

        // The tiny model may end a story on its own within milliseconds, before the hang-up arrives: so
        // up to three tries, of which at least one must be ended by the hang-up. A node that never
        // stops a generation for its departed buyer finishes all three.
        var outcomes = new List<string>();
        for (var attempt = 0; attempt < 3 && !outcomes.Contains("cancelled"); attempt++)
        {
            var (served, cancelled) = (node.Served, node.Cancelled);
            using var cts = new CancellationTokenSource();
            var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
            {
                Content = Json.Body($$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Once"}],"max_tokens":400,"stream":true,"provider":{"only":["de-frankfurt"]}}"""),
            };
            var response = await leaving.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            Assert.Equal(200, (int)response.StatusCode);
            cts.Cancel();
            response.Dispose();
            await WaitUntil(() => node.Admission.InFlight == 0);
            await WaitUntil(() => node.Cancelled > cancelled || node.Served > served);
            outcomes.Add(node.Cancelled > cancelled ? "cancelled" : "served");
            Assert.Equal(served + cancelled + 1, node.Served + node.Cancelled); // each generation ends once, one way
        }

        Assert.True(outcomes.Contains("cancelled"), "no generation was ended by its buyer's hang-up: " + string.Join(", ", outcomes));
        Assert.Equal(0, node.Admission.InFlight);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }
}
