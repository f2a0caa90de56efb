using System.ClientModel;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;

namespace Entrepot.EndToEnd.Tests;

/// <summary>The official OpenAI .NET client, unmodified, buying from the demo market.</summary>
public class BuyerTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    /// <summary>Adds one header to every request of a client, as a buyer's own pipeline would.</summary>
    private sealed class HeaderPolicy(string name, string value) : System.ClientModel.Primitives.PipelinePolicy
    {
        public override void Process(System.ClientModel.Primitives.PipelineMessage message, IReadOnlyList<System.ClientModel.Primitives.PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override async ValueTask ProcessAsync(System.ClientModel.Primitives.PipelineMessage message, IReadOnlyList<System.ClientModel.Primitives.PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Set(name, value);
            await ProcessNextAsync(message, pipeline, currentIndex);
        }
    }

    [Fact]
    public async Task ProviderPreferencesInAHeader_RouteAClientThatCannotAddBodyFields()
    {
        foreach (var seller in (string[])["sg-singapore", "us-ashburn"])
        {
            var options = new OpenAI.OpenAIClientOptions { Endpoint = demo.V1 };
            options.AddPolicy(new HeaderPolicy("Entrepot-Provider-Preferences", $$"""{"only":["{{seller}}"]}"""), System.ClientModel.Primitives.PipelinePosition.PerCall);
            var client = new ChatClient(demo.Market.ModelName, new ApiKeyCredential(DemoFixture.ApiKey), options);
            var result = await client.CompleteChatAsync([new UserChatMessage("Once upon a time")], new ChatCompletionOptions { MaxOutputTokenCount = 4 });
            Assert.True(result.GetRawResponse().Headers.TryGetValue("Entrepot-Provider", out var provider));
            Assert.Equal(seller, provider);
        }

        foreach (var (header, body) in new[] { ("{\"only\":", """{"model":"m","messages":[{"role":"user","content":"x"}]}"""), ("""{"sort":"fastest"}""", """{"model":"m","messages":[{"role":"user","content":"x"}]}"""), ("""{"only":["sg-singapore"]}""", """{"model":"m","provider":{"only":["us-ashburn"]},"messages":[{"role":"user","content":"x"}]}""") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Entrepot-Provider-Preferences", header);
            var r = await demo.Http.SendAsync(request);
            Assert.Equal(400, (int)r.StatusCode);
            using var error = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal("Entrepot-Provider-Preferences", error.RootElement.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task ChatCompletion_NonStreaming_RealTextAndUsage()
    {
        var result = await demo.Chat().CompleteChatAsync(
            [new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { MaxOutputTokenCount = 30, Temperature = 0 });

        var completion = result.Value;
        var text = completion.Content[0].Text;
        // Greedy decoding of stories260K continues the opening of a children's story.
        Assert.Contains("there was a little", text);
        Assert.Equal(30, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 0);

        var raw = result.GetRawResponse();
        Assert.True(raw.Headers.TryGetValue("Entrepot-Provider", out var provider));
        Assert.Contains(provider, demo.Market.Nodes.Keys);
        Assert.True(raw.Headers.TryGetValue("Entrepot-Request-Id", out var id) && id!.StartsWith("req_"));
        Assert.True(raw.Headers.TryGetValue("Entrepot-Overhead-Us", out var overhead) && long.Parse(overhead!) >= 0);
        Assert.True(raw.Headers.TryGetValue("Entrepot-Jurisdiction", out var j) && j!.Length == 2);
    }

    [Fact]
    public async Task ChatCompletion_Streaming_ChunksAddUpToRealText()
    {
        var text = new StringBuilder();
        var updates = 0;
        ChatTokenUsage? usage = null;
        await foreach (var update in demo.Chat().CompleteChatStreamingAsync(
            [new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { MaxOutputTokenCount = 25, Temperature = 0 }))
        {
            updates++;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.Contains("there was a little", text.ToString());
        Assert.True(updates >= 25, $"expected one update per token at least, got {updates}");
        Assert.NotNull(usage); // the SDK asks for include_usage, and the exchange passes the chunk on
        Assert.Equal(25, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Streaming_WithoutIncludeUsage_BuyerSeesNoUsageChunk_ButExchangeMetersIt()
    {
        var response = await demo.Http.PostAsync("chat/completions", Json.Body(
            $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"The dog"}],"max_tokens":8,"stream":true}"""));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("data: [DONE]\n\n", body);
        Assert.DoesNotContain("\"usage\"", body);

        var id = response.Header("Entrepot-Request-Id");
        await demo.Market.Exchange.FlushAsync();
        var row = demo.Market.Exchange.Trades.Recent(100).Single(r => r.RequestId == id);
        Assert.Equal(8, row.OutputTokens);
        Assert.False(row.UsageEstimated);
        Assert.Equal("completed", row.Outcome);
        Assert.True(row.Cost > 0);
    }

    [Theory]
    [InlineData("SG", "sg-singapore")]
    [InlineData("CN", "cn-shanghai")]
    [InlineData("US", "us-ashburn")]
    public async Task Request_PinnedToJurisdiction_LandsThere(string jurisdiction, string node)
    {
        var servedBefore = demo.Market.Nodes[node].Served;
        var response = await demo.Http.PostChatAsync(
            $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":5,"provider":{"jurisdictions":["{{{jurisdiction}}}"]}}""");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(node, response.Header("Entrepot-Provider"));
        Assert.Equal(jurisdiction, response.Header("Entrepot-Jurisdiction"));
        Assert.Equal(servedBefore + 1, demo.Market.Nodes[node].Served);
    }

    [Fact]
    public async Task SortByPrice_GoesToCheapestSeller()
    {
        var response = await demo.Http.PostChatAsync(
            $$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"provider":{"sort":"price"}}""");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("cn-shanghai", response.Header("Entrepot-Provider")); // 0.28 + 0.42 per M tokens
    }

    [Fact]
    public async Task Completions_Endpoint_Works()
    {
        var response = await demo.Http.PostAsync("completions", Json.Body(
            $$$"""{"model":"{{{demo.Market.ModelName}}}","prompt":"Once upon a time","max_tokens":10,"temperature":0}"""));
        Assert.Equal(200, (int)response.StatusCode);
        var json = await response.ReadJsonAsync();
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.Contains("there", json.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(10, json.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Stop_Sequence_IsHonouredAndNotReturned()
    {
        var result = await demo.Chat().CompleteChatAsync(
            [new UserChatMessage("Once upon a time")],
            new ChatCompletionOptions { MaxOutputTokenCount = 60, Temperature = 0, StopSequences = { "Lily" } });
        var text = result.Value.Content[0].Text;
        Assert.EndsWith("named ", text);
        Assert.DoesNotContain("Lily", text);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
    }

    [Fact]
    public async Task Models_ListsTheDemoModelWithItsSellers()
    {
        var response = await demo.Http.GetAsync("models");
        Assert.Equal(200, (int)response.StatusCode);
        var model = (await response.ReadJsonAsync()).GetProperty("data").EnumerateArray().Single();
        Assert.Equal(demo.Market.ModelName, model.GetProperty("id").GetString());
        Assert.Equal(4, model.GetProperty("providers").GetArrayLength());
    }

    [Fact]
    public async Task WrongKey_OpenAIClientGets401()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            demo.Chat("not-a-real-key-000000").CompleteChatAsync([new UserChatMessage("Hi")]));
        Assert.Equal(401, e.Status);
    }

    [Fact]
    public async Task BadInput_GetsTheRight4xxInOpenAIShape()
    {
        var model = demo.Market.ModelName;
        Assert.Equal("invalid_json", (await (await demo.Http.PostChatAsync("{\"model\": ")).AssertOpenAIErrorAsync(400)).GetProperty("code").GetString());
        Assert.Equal("model", (await (await demo.Http.PostChatAsync("""{"model":"gpt-99","messages":[{"role":"user","content":"x"}]}""")).AssertOpenAIErrorAsync(404)).GetProperty("param").GetString());
        Assert.Equal("messages", (await (await demo.Http.PostChatAsync($$$"""{"model":"{{{model}}}"}""")).AssertOpenAIErrorAsync(400)).GetProperty("param").GetString());
        Assert.Equal("provider", (await (await demo.Http.PostChatAsync($$$"""{"model":"{{{model}}}","messages":[{"role":"user","content":"x"}],"provider":{"jurisdictions":["FR"]}}""")).AssertOpenAIErrorAsync(404)).GetProperty("param").GetString());

        var huge = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', 5 * 1024 * 1024) + "\"}]}";
        Assert.Equal("request_too_large", (await (await demo.Http.PostChatAsync(huge)).AssertOpenAIErrorAsync(413)).GetProperty("code").GetString());

        using var anonymous = new HttpClient { BaseAddress = demo.V1 };
        await (await anonymous.PostAsync("chat/completions", Json.Body("{}"))).AssertOpenAIErrorAsync(401);

        // The seller's own validation comes back to the buyer as the seller's 4xx, still in shape.
        var err = await (await demo.Http.PostChatAsync($$$"""{"model":"{{{model}}}","messages":[{"role":"user","content":"x"}],"temperature":7}""")).AssertOpenAIErrorAsync(400);
        Assert.Equal("temperature", err.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Health_And_Metrics_Served()
    {
        using var http = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        var health = JsonDocument.Parse(await http.GetStringAsync("healthz")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(4, health.GetProperty("providers").GetInt32());

        await demo.Http.PostChatAsync($$$"""{"model":"{{{demo.Market.ModelName}}}","messages":[{"role":"user","content":"Hi"}],"max_tokens":2}""");
        var metrics = await http.GetStringAsync("metrics");
        Assert.Contains("entrepot_exchange_requests", metrics);
    }
}
