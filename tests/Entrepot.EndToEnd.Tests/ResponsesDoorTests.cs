#pragma warning disable OPENAI001 // the Responses API is marked experimental in the official client
using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;
using OpenAI;
using OpenAI.Responses;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The Responses door with the official OpenAI .NET client, unmodified, against the demo market:
/// plain and streamed text from the embedded engine, a tool call round trip with a seller whose
/// model calls tools, images, errors, the border (an identifier redacted on the way out and restored
/// in a tool call's arguments on the way back) and the receipt of every trade.
/// </summary>
public class ResponsesDoorTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private ResponsesClient Client(string? key = null) =>
        new OpenAIClient(new ApiKeyCredential(key ?? DemoFixture.ApiKey), new OpenAIClientOptions { Endpoint = demo.V1 }).GetResponsesClient();

    private CreateResponseOptions Ask(params ResponseItem[] items) => new(demo.Market.ModelName, items);

    private static CreateResponseOptions AskTools(params ResponseItem[] items) => new(ToolSeller.Model, items);

    private async Task<JsonObject> ReceiptOf(string requestId)
    {
        await demo.Market.Exchange.FlushAsync();
        var got = await demo.Http.GetAsync($"receipts/{requestId}");
        Assert.Equal(200, (int)got.StatusCode);
        return JsonNode.Parse(await got.Content.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task Plain_TextAndUsage_FromTheEmbeddedEngine_WithACountersignedReceipt()
    {
        var options = Ask(ResponseItem.CreateUserMessageItem("Once upon a time"));
        options.Instructions = "Tell a story.";
        options.MaxOutputTokenCount = 16;
        options.Temperature = 0;
        var result = await Client().CreateResponseAsync(options);
        var response = result.Value;
        Assert.StartsWith("resp_", response.Id, StringComparison.Ordinal);
        Assert.Equal(demo.Market.ModelName, response.Model);
        Assert.False(string.IsNullOrWhiteSpace(response.GetOutputText()));
        Assert.Equal(16, response.Usage.OutputTokenCount);
        Assert.True(response.Usage.InputTokenCount > 0);
        Assert.Equal(ResponseStatus.Incomplete, response.Status);

        var receipt = await ReceiptOf(result.GetRawResponse().Headers.TryGetValue("Entrepot-Request-Id", out var id) ? id! : "");
        Assert.Null(Receipts.Verify(receipt));
        Assert.Equal(16L, (long)receipt["receipt"]!["output_tokens"]!);
        Assert.True((bool)receipt["check"]!["seller_signature_verified"]!);
    }

    [Fact]
    public async Task Streamed_DeltasAddUpToTheCompletedResponse()
    {
        var options = Ask(ResponseItem.CreateUserMessageItem("Once upon a time"));
        options.MaxOutputTokenCount = 12;
        options.Temperature = 0;
        options.StreamingEnabled = true;
        var updates = await Client().CreateResponseStreamingAsync(options);
        var text = new System.Text.StringBuilder();
        ResponseResult? completed = null;
        var sequence = new List<int>();
        await foreach (var update in updates)
        {
            sequence.Add(update.SequenceNumber);
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseIncompleteUpdate incomplete)
            {
                completed = incomplete.Response;
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        Assert.NotNull(completed);
        Assert.Equal(text.ToString(), completed!.GetOutputText());
        Assert.Equal(12, completed.Usage.OutputTokenCount);
        Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolCallRoundTrip_WithAnIdentifierRedactedOutAndRestoredInTheArguments(bool stream)
    {
        await using var seller = await ToolSeller.StartAsync();
        var sellerId = stream ? "sg-tools-stream" : "sg-tools";
        await seller.OfferAsync(demo, sellerId, "SG");
        var client = Client();
        var tool = ResponseTool.CreateFunctionTool("send_note", BinaryData.FromString("""{"type":"object","properties":{"note":{"type":"string"}},"required":["note"]}"""),
            strictModeEnabled: false, functionDescription: "Sends a note");
        var ask = ResponseItem.CreateUserMessageItem("Remind lena.weber@example.de about Tuesday.");
        var first = AskTools(ask);
        first.Tools.Add(tool);

        FunctionCallResponseItem call;
        if (stream)
        {
            FunctionCallResponseItem? done = null;
            var args = new System.Text.StringBuilder();
            first.StreamingEnabled = true;
            await foreach (var update in await client.CreateResponseStreamingAsync(first))
            {
                if (update is StreamingResponseFunctionCallArgumentsDeltaUpdate d)
                {
                    args.Append(d.Delta.ToString());
                }
                else if (update is StreamingResponseOutputItemDoneUpdate { Item: FunctionCallResponseItem f })
                {
                    done = f;
                }
            }

            call = Assert.IsType<FunctionCallResponseItem>(done);
            Assert.Equal(call.FunctionArguments.ToString(), args.ToString());
        }
        else
        {
            var response = (await client.CreateResponseAsync(first)).Value;
            call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(response.OutputItems));
        }

        Assert.Equal("send_note", call.FunctionName);
        Assert.Equal("call_1", call.CallId);
        // The seller saw a placeholder; the buyer's arguments hold the address it wrote.
        Assert.Equal("Remind lena.weber@example.de about Tuesday.", JsonDocument.Parse(call.FunctionArguments).RootElement.GetProperty("note").GetString());
        var sent = seller.Received.Last().ToJsonString();
        Assert.DoesNotContain("lena.weber", sent, StringComparison.Ordinal);
        Assert.Contains("[EMAIL_1]", sent, StringComparison.Ordinal);

        // The round trip: the call and its output go back, and the answer uses them.
        var second = AskTools(ask, call, ResponseItem.CreateFunctionCallOutputItem(call.CallId, "sent at 09:00"));
        second.Tools.Add(tool);
        var answer = (await client.CreateResponseAsync(second)).Value;
        Assert.Equal("Tool said: sent at 09:00", answer.GetOutputText());
        var crossed = seller.Received.Last();
        var turns = crossed["messages"]!.AsArray();
        Assert.Equal("assistant", (string?)turns[^2]!["role"]);
        Assert.Equal("call_1", (string?)turns[^2]!["tool_calls"]![0]!["id"]);
        Assert.Equal("tool", (string?)turns[^1]!["role"]);
        Assert.Equal("call_1", (string?)turns[^1]!["tool_call_id"]);
        Assert.DoesNotContain("lena.weber", crossed.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ImagePart_CrossesAsAnImage_AndTheTextOnlyEngineRefusesItNamingTheField()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "de-vision", "DE"); // an image cannot be scanned: it goes only where personal data may
        var image = ResponseContentPart.CreateInputImagePart(BinaryData.FromBytes(Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="), "image/png"), ResponseImageDetailLevel.Low);
        var item = ResponseItem.CreateUserMessageItem([ResponseContentPart.CreateInputTextPart("What is this?"), image]);
        var answer = await Client().CreateResponseAsync(AskTools(item));
        Assert.Equal("You said: What is this?", answer.Value.GetOutputText());
        var part = seller.Received.Last()["messages"]![0]!["content"]![1]!;
        Assert.Equal("image_url", (string?)part["type"]);
        Assert.StartsWith("data:image/png;base64,iVBOR", (string?)part["image_url"]!["url"], StringComparison.Ordinal);
        Assert.Equal("low", (string?)part["image_url"]!["detail"]);
        // An image is content the border cannot read: it is declared, never called clean.
        Assert.Contains("unscanned=", answer.GetRawResponse().Headers.TryGetValue("Entrepot-Policy", out var policy) ? policy : "", StringComparison.Ordinal);

        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync(WithMax(Ask(item), 16)));
        Assert.Equal(400, e.Status);
        var error = JsonDocument.Parse(e.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("messages[0].content", error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task StoredConversations_AreRefusedNamingTheParameter()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync(
            Stored(Ask(ResponseItem.CreateUserMessageItem("Once")))));
        Assert.Equal(400, e.Status);
        var error = JsonDocument.Parse(e.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("store", error.GetProperty("param").GetString());

        e = await Assert.ThrowsAsync<ClientResultException>(() => Client().CreateResponseAsync(
            Continuing(Ask(ResponseItem.CreateUserMessageItem("Once")))));
        Assert.Equal("previous_response_id", JsonDocument.Parse(e.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error").GetProperty("param").GetString());

        e = await Assert.ThrowsAsync<ClientResultException>(() => Client("ent-wrong-key-0123456789").CreateResponseAsync(Ask(ResponseItem.CreateUserMessageItem("Once"))));
        Assert.Equal(401, e.Status);
    }

    private static CreateResponseOptions WithMax(CreateResponseOptions o, int max)
    {
        o.MaxOutputTokenCount = max;
        return o;
    }

    private static CreateResponseOptions Stored(CreateResponseOptions o)
    {
        o.StoredOutputEnabled = true;
        return o;
    }

    private static CreateResponseOptions Continuing(CreateResponseOptions o)
    {
        o.PreviousResponseId = "resp_123";
        return o;
    }
}
