using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using Entrepot.Core.Trust;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The Messages door with the official Anthropic .NET SDK, unmodified, against the demo market
/// (it sends its key as a Bearer token and anthropic-version 2026-10-21): plain and streamed text
/// from the embedded engine, a tool use round trip with a seller whose model calls tools, an image
/// block, errors in Anthropic's shape, count_tokens answered by the exchange, and an identifier
/// redacted out and restored in the answer.
/// </summary>
public class MessagesDoorTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private const string Png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

    private AnthropicClient Client(string? key = null) => new(new ClientOptions
    {
        BaseUrl = demo.Market.Exchange.BaseUrl.AbsoluteUri,
        ApiKey = key ?? DemoFixture.ApiKey,
        MaxRetries = 0,
        Timeout = TimeSpan.FromSeconds(60),
    });

    private static Tool NoteTool => new()
    {
        Name = "send_note",
        Description = "Sends a note",
        InputSchema = new InputSchema { Properties = new Dictionary<string, JsonElement> { ["note"] = JsonSerializer.SerializeToElement(new { type = "string" }) } },
    };

    [Fact]
    public async Task Plain_TextStopReasonAndUsage_FromTheEmbeddedEngine()
    {
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = demo.Market.ModelName,
            MaxTokens = 10,
            System = "Tell a story.",
            Messages = [new UserMessageParam("Once upon a time")],
        });
        Assert.StartsWith("msg_", message.ID, StringComparison.Ordinal);
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.False(string.IsNullOrWhiteSpace(text!.Text));
        Assert.Equal("max_tokens", message.StopReason?.Raw());
        Assert.Equal(10, message.Usage.OutputTokens);
        Assert.True(message.Usage.InputTokens > 0);
    }

    [Fact]
    public async Task Streamed_DeltasAddUpToTheFinalMessage()
    {
        var parameters = new MessageCreateParams { Model = demo.Market.ModelName, MaxTokens = 8, Messages = [new UserMessageParam("Once upon a time")] };
        var text = new System.Text.StringBuilder();
        string? stop = null;
        long? output = null;
        var events = new List<string>();
        await foreach (var ev in Client().Messages.CreateStreaming(parameters))
        {
            if (ev.TryPickStart(out _))
            {
                events.Add("message_start");
            }
            else if (ev.TryPickContentBlockDelta(out var d) && d.Delta.TryPickText(out var t))
            {
                text.Append(t.Text);
            }
            else if (ev.TryPickDelta(out var md))
            {
                stop = md.Delta.StopReason?.Raw();
                output = md.Usage.OutputTokens;
                events.Add("message_delta");
            }
            else if (ev.TryPickStop(out _))
            {
                events.Add("message_stop");
            }
        }

        Assert.Equal(["message_start", "message_delta", "message_stop"], events);
        Assert.False(string.IsNullOrWhiteSpace(text.ToString()));
        Assert.Equal("max_tokens", stop);
        Assert.Equal(8, output);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ToolUseRoundTrip(bool stream)
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, stream ? "de-tools-sdk-stream" : "de-tools-sdk", "DE");
        var ask = new UserMessageParam("Remind Lena about Tuesday.");
        var first = new MessageCreateParams { Model = ToolSeller.Model, MaxTokens = 64, Tools = [NoteTool], Messages = [ask] };
        var message = stream ? await Client().Messages.CreateStreaming(first).Aggregate() : await Client().Messages.Create(first);
        Assert.Equal("tool_use", message.StopReason?.Raw());
        ToolUseBlock? use = null;
        foreach (var block in message.Content)
        {
            if (block.TryPickToolUse(out var tu))
            {
                use = tu;
            }
        }

        Assert.NotNull(use);
        Assert.Equal("send_note", use!.Name);
        Assert.Equal("Remind Lena about Tuesday.", use.Input["note"].GetString());

        var answer = await Client().Messages.Create(new MessageCreateParams
        {
            Model = ToolSeller.Model,
            MaxTokens = 64,
            Tools = [NoteTool],
            Messages =
            [
                ask,
                new AssistantMessageParam(new List<ContentBlockParam> { new ToolUseBlockParam { ID = use.ID, Name = use.Name, Input = use.Input } }),
                new UserMessageParam(new List<ContentBlockParam> { new ToolResultBlockParam(use.ID) { Content = "sent" } }),
            ],
        });
        Assert.True(answer.Content[0].TryPickText(out var said));
        Assert.Equal("Tool said: sent", said!.Text);
        var crossed = seller.Received.Last()["messages"]!.AsArray();
        Assert.Equal("tool", (string?)crossed[^1]!["role"]);
        Assert.Equal(use.ID, (string?)crossed[^1]!["tool_call_id"]);
    }

    [Fact]
    public async Task ImageBlock_CrossesAsAnImage()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "de-vision-sdk", "DE");
        var message = await Client().Messages.Create(new MessageCreateParams
        {
            Model = ToolSeller.Model,
            MaxTokens = 16,
            Messages =
            [
                new UserMessageParam(new List<ContentBlockParam>
                {
                    new TextBlockParam("What is this?"),
                    new ImageBlockParam(new Base64ImageSource { Data = Png, MediaType = MediaType.ImagePng }),
                }),
            ],
        });
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal("You said: What is this?", text!.Text);
        var part = seller.Received.Last()["messages"]![0]!["content"]![1]!;
        Assert.Equal("data:image/png;base64," + Png, (string?)part["image_url"]!["url"]);
    }

    [Fact]
    public async Task Errors_ComeInAnthropicsShape()
    {
        var bad = await Assert.ThrowsAsync<AnthropicBadRequestException>(() => Client().Messages.Create(new MessageCreateParams
        {
            Model = demo.Market.ModelName,
            MaxTokens = 0,
            Messages = [new UserMessageParam("x")],
        }));
        Assert.Equal("invalid_request_error", bad.Type?.Raw());
        Assert.Contains("max_tokens", bad.ApiMessage, StringComparison.Ordinal);

        var unknown = await Assert.ThrowsAsync<AnthropicNotFoundException>(() => Client().Messages.Create(new MessageCreateParams
        {
            Model = "no-such-model",
            MaxTokens = 4,
            Messages = [new UserMessageParam("x")],
        }));
        Assert.Equal("not_found_error", unknown.Type?.Raw());

        var denied = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => Client("ent-wrong-key-0123456789").Messages.Create(new MessageCreateParams
        {
            Model = demo.Market.ModelName,
            MaxTokens = 4,
            Messages = [new UserMessageParam("x")],
        }));
        Assert.Equal("authentication_error", denied.Type?.Raw());
    }

    [Fact]
    public async Task CountTokens_IsTheExchangesOwnCount_AndSendsNothingToASeller()
    {
        var before = demo.Market.Nodes.Values.Sum(n => n.Received);
        var count = await Client().Messages.CountTokens(new MessageCountTokensParams
        {
            Model = demo.Market.ModelName,
            Messages = [new UserMessageParam("Once upon a time")],
        });
        Assert.True(count.InputTokens > 0);
        Assert.Equal(before, demo.Market.Nodes.Values.Sum(n => n.Received));
    }

    [Fact]
    public async Task AnIdentifierInAMessage_IsRedactedOut_AndRestoredInTheAnswer_WithAReceipt()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "sg-echo-sdk", "SG");
        using var raw = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        raw.DefaultRequestHeaders.Add("x-api-key", DemoFixture.ApiKey);
        raw.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        var r = await raw.PostAsync("v1/messages", Json.Body($$"""
            {"model":"{{ToolSeller.Model}}","max_tokens":32,"messages":[{"role":"user","content":"Write to lena.weber@example.de today."}]}
            """));
        Assert.Equal(200, (int)r.StatusCode);
        Assert.StartsWith("verdict=redact; class=personal; rules=eu-gdpr-scc; redacted=email:1", r.Header("Entrepot-Policy"), StringComparison.Ordinal);
        using var answer = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("You said: Write to lena.weber@example.de today.", answer.RootElement.GetProperty("content")[0].GetProperty("text").GetString());
        var sent = seller.Received.Last().ToJsonString();
        Assert.DoesNotContain("lena.weber", sent, StringComparison.Ordinal);
        Assert.Contains("[EMAIL_1]", sent, StringComparison.Ordinal);

        // The trade is in the ledger like any other: a countersigned receipt for the request.
        await demo.Market.Exchange.FlushAsync();
        var receipt = await demo.Http.GetAsync($"receipts/{r.Header("Entrepot-Request-Id")}");
        Assert.Equal(200, (int)receipt.StatusCode);
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await receipt.Content.ReadAsStringAsync())!.AsObject();
        Assert.Null(Receipts.Verify(doc));
        Assert.Equal("sg-echo-sdk", (string?)doc["receipt"]!["seller"]);
    }
}
