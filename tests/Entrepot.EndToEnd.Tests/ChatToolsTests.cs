using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace Entrepot.EndToEnd.Tests;

/// <summary>Tool calls through chat completions with the official OpenAI .NET client: parallel calls,
/// streamed argument deltas, an identifier redacted on the way out and restored in each call's
/// arguments on the way back, and the round trip with the tools' results.</summary>
public class ChatToolsTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private ChatClient Client() => new(ToolSeller.Model, new ApiKeyCredential(DemoFixture.ApiKey), new OpenAIClientOptions { Endpoint = demo.V1 });

    private static ChatTool Tool(string name) => ChatTool.CreateFunctionTool(name, "Sends a note",
        BinaryData.FromString("""{"type":"object","properties":{"note":{"type":"string"}}}"""));

    [Fact]
    public async Task ParallelStreamedToolCalls_CarryTheOriginalIdentifier_AndTheRoundTripCompletes()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "sg-chat-tools", "SG");
        var options = new ChatCompletionOptions { Tools = { Tool("send_note"), Tool("log_note") }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };
        List<ChatMessage> messages = [new UserChatMessage("Remind lena.weber@example.de about Tuesday.")];

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var args = new Dictionary<int, System.Text.StringBuilder>();
        var deltas = 0;
        ChatFinishReason? finish = null;
        await foreach (var update in Client().CompleteChatStreamingAsync(messages, options))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                if (call.ToolCallId is { } id)
                {
                    ids[call.Index] = id;
                    names[call.Index] = call.FunctionName;
                }

                if (call.FunctionArgumentsUpdate is { } piece && !piece.ToMemory().IsEmpty)
                {
                    (args.TryGetValue(call.Index, out var sb) ? sb : args[call.Index] = new()).Append(piece.ToString());
                    deltas++;
                }
            }

            finish = update.FinishReason ?? finish;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(["send_note", "log_note"], names.OrderBy(n => n.Key).Select(n => n.Value));
        Assert.True(deltas > 4, $"{deltas} argument deltas");
        foreach (var (_, text) in args)
        {
            Assert.Equal("Remind lena.weber@example.de about Tuesday.", JsonDocument.Parse(text.ToString()).RootElement.GetProperty("note").GetString());
        }

        var sent = seller.Received.Last();
        Assert.Equal("required", (string?)sent["tool_choice"]);
        Assert.DoesNotContain("lena.weber", sent.ToJsonString(), StringComparison.Ordinal);

        messages.Add(new AssistantChatMessage(ids.OrderBy(i => i.Key).Select(i => ChatToolCall.CreateFunctionToolCall(i.Value, names[i.Key], BinaryData.FromString(args[i.Key].ToString()))).ToList()));
        messages.Add(new ToolChatMessage(ids[0], "sent"));
        messages.Add(new ToolChatMessage(ids[1], "logged"));
        var answer = await Client().CompleteChatAsync(messages, new ChatCompletionOptions { Tools = { Tool("send_note"), Tool("log_note") } });
        Assert.Equal("Tool said: sent; logged", answer.Value.Content[0].Text);
        Assert.DoesNotContain("lena.weber", seller.Received.Last().ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonSchemaOutput_ReachesTheSellerAsSent_AndTheTextOnlyEngineRefusesIt()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "de-chat-schema", "DE");
        var format = ChatResponseFormat.CreateJsonSchemaFormat("reply", BinaryData.FromString("""{"type":"object","properties":{"said":{"type":"string"}}}"""), jsonSchemaIsStrict: true);
        await Client().CompleteChatAsync([new UserChatMessage("Hello")], new ChatCompletionOptions { ResponseFormat = format });
        var sent = seller.Received.Last();
        Assert.Equal("json_schema", (string?)sent["response_format"]!["type"]);
        Assert.Equal("reply", (string?)sent["response_format"]!["json_schema"]!["name"]);

        var e = await Assert.ThrowsAsync<ClientResultException>(() => demo.Chat().CompleteChatAsync([new UserChatMessage("Hello")],
            new ChatCompletionOptions { ResponseFormat = format, MaxOutputTokenCount = 4 }));
        Assert.Equal(400, e.Status);
        Assert.Equal("response_format", JsonDocument.Parse(e.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error").GetProperty("param").GetString());
    }
}

/// <summary>Cached and reasoning tokens carried through every door and onto the receipt, cached
/// input billed at the offer's cached price.</summary>
public class CachedTokenTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Fact]
    public async Task CachedAndReasoningTokens_ReachTheBuyer_AndTheReceipt_AtTheCachedPrice()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "de-cache", "DE");
        using var raw = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        raw.DefaultRequestHeaders.Authorization = new("Bearer", DemoFixture.ApiKey);

        var chat = await raw.PostAsync("v1/chat/completions", Json.Body($$"""{"model":"{{ToolSeller.Model}}","messages":[{"role":"user","content":"Hello"}]}"""));
        var usage = (await chat.ReadJsonAsync()).GetProperty("usage");
        Assert.Equal(7, usage.GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(3, usage.GetProperty("completion_tokens_details").GetProperty("reasoning_tokens").GetInt32());

        var responses = await raw.PostAsync("v1/responses", Json.Body($$"""{"model":"{{ToolSeller.Model}}","input":"Hello"}"""));
        var u = (await responses.ReadJsonAsync()).GetProperty("usage");
        Assert.Equal(7, u.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt32());
        Assert.Equal(3, u.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt32());

        await demo.Market.Exchange.FlushAsync();
        foreach (var r in new[] { chat, responses })
        {
            var got = await demo.Http.GetAsync($"receipts/{r.Header("Entrepot-Request-Id")}");
            Assert.Equal(200, (int)got.StatusCode);
            var doc = System.Text.Json.Nodes.JsonNode.Parse(await got.Content.ReadAsStringAsync())!.AsObject();
            Assert.Null(Core.Trust.Receipts.Verify(doc));
            var settled = doc["check"]!["settled"]!;
            long input = (long)settled["input_tokens"]!, output = (long)settled["output_tokens"]!;
            Assert.Equal(7L, (long)settled["cached_input_tokens"]!);
            Assert.Equal(3L, (long)settled["reasoning_tokens"]!);
            Assert.Equal("0.1", (string?)settled["cached_input_price"]);
            // (input - 7) at 0.5, 7 at 0.1, output at 1.5, per million.
            var expected = ((input - 7) * 0.5m + 7 * 0.1m + output * 1.5m) / 1_000_000m;
            Assert.Equal(expected, decimal.Parse((string)settled["cost"]!, System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
