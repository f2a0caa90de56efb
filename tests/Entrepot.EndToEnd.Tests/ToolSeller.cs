using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// A chat completions seller on loopback with a scripted model that calls tools, as the embedded
/// engine cannot: offered tools and no tool result yet, it calls the first tool (and the second, when
/// there are two: parallel calls) with <c>{"note": the last user text}</c>; given tool results, it
/// answers "Tool said: " and the results. Its usage says 7 input tokens came from its cache and 3
/// output tokens were reasoning; its offer prices cached input at 0.1 a million. It echoes what it was sent, so a test sees what crossed
/// the border (placeholders) and what the buyer got back (originals restored). Whole or streamed,
/// with usage; every body it receives is kept.
/// </summary>
internal sealed class ToolSeller : IAsyncDisposable
{
    public const string Model = "toolsmith";

    private readonly WebApplication _app;

    private ToolSeller(WebApplication app) => _app = app;

    public Uri V1 { get; private set; } = null!;
    public ConcurrentQueue<JsonObject> Received { get; } = new();

    public static async Task<ToolSeller> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var seller = new ToolSeller(app);
        app.MapPost("/v1/chat/completions", seller.AnswerAsync);
        app.MapPost("/v1/responses", ctx => seller.NativeAsync(ctx, "responses"));
        app.MapPost("/v1/messages", ctx => seller.NativeAsync(ctx, "messages"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        seller.V1 = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/v1/");
        return seller;
    }

    /// <summary>Adds this seller to a running exchange as an OpenAI-compatible seller in <paramref name="jurisdiction"/>.</summary>
    public async Task OfferAsync(DemoFixture demo, string id, string jurisdiction, bool native = false)
    {
        using var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", demo.Market.AdminKey);
        var put = await admin.PutAsync($"admin/providers/{id}", Json.Body($$$"""
            {"kind":"openai","base_url":"{{{V1.AbsoluteUri}}}","jurisdiction":"{{{jurisdiction}}}","ownership":"{{{jurisdiction}}}","models":["{{{Model}}}"],
             "price":{"input":0.5,"output":1.5,"cached_input":0.1,"currency":"USD"}{{{(native ? ",\"native_apis\":[\"responses\",\"messages\"]" : "")}}}}
            """));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
    }

    private async Task AnswerAsync(HttpContext ctx)
    {
        var request = (JsonObject)(await JsonNode.ParseAsync(ctx.Request.Body))!;
        Received.Enqueue(request);
        var (contentType, body) = Answer(request);
        ctx.Response.ContentType = contentType;
        await ctx.Response.WriteAsync(body);
    }

    /// <summary>Bodies received on the doors it speaks natively (when offered with native_apis).</summary>
    public ConcurrentQueue<JsonObject> NativeReceived { get; } = new();

    /// <summary>A door spoken natively: the same scripted model, answering in the door's own format.</summary>
    private async Task NativeAsync(HttpContext ctx, string api)
    {
        using var buffer = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(buffer);
        var bytes = buffer.ToArray();
        NativeReceived.Enqueue((JsonObject)JsonNode.Parse(bytes)!);
        Core.Protocol.Doors.DoorTranslation door = api == "responses"
            ? Core.Protocol.Doors.ResponsesDoor.Read(bytes, out _)!
            : Core.Protocol.Doors.MessagesDoor.Read(bytes, null, out _)!;
        var (contentType, body) = Answer((JsonObject)JsonNode.Parse(door.ChatBody)!);
        ctx.Response.ContentType = contentType;
        if (contentType == "application/json")
        {
            await ctx.Response.Body.WriteAsync(door.Answer(Encoding.UTF8.GetBytes(body)));
            return;
        }

        var events = new System.Buffers.ArrayBufferWriter<byte>();
        using var stream = door.Stream();
        stream.Start(events);
        stream.Push(Encoding.UTF8.GetBytes(body), events);
        stream.Complete(events);
        await ctx.Response.Body.WriteAsync(events.WrittenMemory);
    }

    /// <summary>The scripted model's chat completion for a chat request: whole JSON or an event stream.</summary>
    private static (string ContentType, string Body) Answer(JsonObject request)
    {
        var messages = request["messages"]!.AsArray();
        var results = messages.Where(m => (string?)m!["role"] == "tool").Select(m => ChatText(m!["content"])).ToList();
        var lastUser = messages.LastOrDefault(m => (string?)m!["role"] == "user") is { } u ? ChatText(u["content"]) : "";
        var tools = request["tools"] as JsonArray;
        List<(string Id, string Name, string Args)> calls = [];
        string text;
        if (tools is { Count: > 0 } && results.Count == 0)
        {
            text = "";
            for (var i = 0; i < Math.Min(2, tools.Count); i++)
            {
                calls.Add(($"call_{i + 1}", (string)tools[i]!["function"]!["name"]!, new JsonObject { ["note"] = lastUser }.ToJsonString()));
            }
        }
        else
        {
            text = results.Count > 0 ? "Tool said: " + string.Join("; ", results) : "You said: " + lastUser;
        }

        // 7 of the prompt's tokens from its cache, 3 of the answer's spent reasoning.
        var usage = new JsonObject
        {
            ["prompt_tokens"] = 21, ["completion_tokens"] = 9, ["total_tokens"] = 30,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = 7 },
            ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 3 },
        };
        var finish = calls.Count > 0 ? "tool_calls" : "stop";
        if (request["stream"] is JsonValue s && s.GetValue<bool>())
        {
            var sse = new StringBuilder();
            void Event(JsonObject chunk) => sse.Append("data: ").Append(chunk.ToJsonString()).Append("\n\n");
            Event(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
            for (var i = 0; i < text.Length; i += 7)
            {
                Event(Chunk(new JsonObject { ["content"] = text.Substring(i, Math.Min(7, text.Length - i)) }, null));
            }

            for (var c = 0; c < calls.Count; c++)
            {
                var (id, name, args) = calls[c];
                Event(Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = c, ["id"] = id, ["type"] = "function", ["function"] = new JsonObject { ["name"] = name, ["arguments"] = "" } }) }, null));
                for (var i = 0; i < args.Length; i += 5)
                {
                    Event(Chunk(new JsonObject { ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = c, ["function"] = new JsonObject { ["arguments"] = args.Substring(i, Math.Min(5, args.Length - i)) } }) }, null));
                }
            }

            Event(Chunk(new JsonObject(), finish));
            if (request["stream_options"]?["include_usage"] is JsonValue iu && iu.GetValue<bool>())
            {
                Event(new JsonObject { ["id"] = "chatcmpl-t", ["object"] = "chat.completion.chunk", ["model"] = Model, ["choices"] = new JsonArray(), ["usage"] = usage });
            }

            sse.Append("data: [DONE]\n\n");
            return ("text/event-stream", sse.ToString());
        }

        var message = new JsonObject { ["role"] = "assistant", ["content"] = calls.Count > 0 ? null : text };
        if (calls.Count > 0)
        {
            message["tool_calls"] = new JsonArray(calls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Args },
            }).ToArray());
        }

        var answer = new JsonObject
        {
            ["id"] = "chatcmpl-t", ["object"] = "chat.completion", ["created"] = 1, ["model"] = Model,
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
            ["usage"] = usage,
        };
        return ("application/json", answer.ToJsonString());
    }

    private static JsonObject Chunk(JsonObject delta, string? finish) => new()
    {
        ["id"] = "chatcmpl-t", ["object"] = "chat.completion.chunk", ["model"] = Model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
    };

    private static string ChatText(JsonNode? content) => content switch
    {
        JsonValue v => v.GetValue<string>(),
        JsonArray parts => string.Concat(parts.Where(p => (string?)p!["type"] == "text").Select(p => (string?)p!["text"])),
        _ => "",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
