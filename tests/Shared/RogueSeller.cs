using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Core.Trust;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.Tests;

/// <summary>
/// A seller on loopback that speaks as an exporter node does: it answers chat completions (whole or
/// streamed), reports usage and signs a receipt with a key the exchange pins. By default it is
/// honest (its counts are the exchange's own estimate of the same texts); <see cref="Plan"/> makes it
/// lie, inflate, sign with another key, send receipts that cannot be read, or stall, on purpose.
/// </summary>
internal sealed class RogueSeller : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private RogueSeller(WebApplication app, string id)
    {
        _app = app;
        Id = id;
        Key = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-rogue-").FullName);
    }

    public string Id { get; }
    public SigningKey Key { get; }
    public Uri V1 { get; private set; } = null!;
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>The key to pin on the exchange: the whole public key.</summary>
    public string PublicKey => Receipts.Base64Url(Key.PublicKey);

    public Func<SellerCall, SellerAnswer> Plan { get; set; } = _ => new SellerAnswer();

    /// <summary>The seller's receipt log as it serves it to the exchange (GET /v1/receipts): whatever a test puts there.</summary>
    public List<JsonObject> Log { get; } = [];

    /// <summary>Receipts a page of the log holds at most (null: all of them in one page).</summary>
    public int? LogPageSize { get; set; }

    /// <summary>Pages of the log served, from when this is set, before every further request for one fails
    /// with a 503 (null: never).</summary>
    public int? LogFailsAfterPages
    {
        get => _logFailsAfterPages;
        set
        {
            Volatile.Write(ref _logPages, 0);
            _logFailsAfterPages = value;
        }
    }

    private int? _logFailsAfterPages;
    private int _logPages;

    /// <summary>Signs a receipt body with the seller's key (or another), as its log would hold it.</summary>
    public JsonObject SignReceipt(JsonObject body, SigningKey? key = null) => Receipts.SignAsSeller(body, key ?? Key, Id);

    public decimal InputPrice { get; set; } = 1m;
    public decimal OutputPrice { get; set; } = 2m;

    /// <summary>What the exchange sent with the last call (headers included).</summary>
    public SellerCall? Last { get; private set; }

    public static async Task<RogueSeller> StartAsync(string id = "rogue")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var seller = new RogueSeller(app, id);
        app.MapPost("/v1/chat/completions", seller.ServeAsync);
        app.MapGet("/v1/receipts", (HttpContext ctx) =>
        {
            var since = long.TryParse(ctx.Request.Query["since"], out var s) ? s : 0;
            List<JsonObject> log;
            lock (seller.Log)
            {
                log = [.. seller.Log];
            }

            if (Interlocked.Increment(ref seller._logPages) > seller.LogFailsAfterPages)
            {
                return Results.StatusCode(503);
            }

            var take = seller.LogPageSize ?? log.Count;
            var data = new JsonArray(log.Select((r, i) => (JsonNode)new JsonObject { ["seq"] = i + 1, ["receipt"] = r.DeepClone() }).Skip((int)since).Take(take).ToArray());
            var next = Math.Min(log.Count, since + take);
            return Results.Text(new JsonObject { ["object"] = "list", ["data"] = data, ["next_since"] = next, ["has_more"] = next < log.Count }.ToJsonString(), "application/json");
        });
        app.MapGet("/.well-known/entrepot/keys", () => Results.Json(new
        {
            keys = new[] { new { kid = seller.Key.KeyId, alg = "Ed25519", public_key = seller.PublicKey, signer = id, use = "receipt" } },
        }));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        seller.V1 = new Uri(address + "/v1");
        return seller;
    }

    private async Task ServeAsync(HttpContext ctx)
    {
        using var copy = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(copy);
        var body = copy.ToArray();
        var h = ctx.Request.Headers;
        var json = JsonNode.Parse(body)!.AsObject();
        var prompt = InferenceRequestParser.Parse(body, EndpointKind.ChatCompletions, out _)?.Content ?? PromptContent.Empty;
        var call = new SellerCall(Interlocked.Increment(ref _calls), h["Entrepot-Request-Id"].ToString(), int.TryParse(h["Entrepot-Attempt"], out var a) ? a : 1,
            h["Entrepot-Buyer-Account"].ToString(), h["Entrepot-Quote"].ToString(), (string)json["model"]!, json["stream"]?.GetValue<bool>() == true,
            EstimatingTokenCounter.Instance.CountPrompt(prompt), body, ctx.Request.Headers.ToDictionary(k => k.Key, k => k.Value.ToString(), StringComparer.OrdinalIgnoreCase));
        Last = call;
        var answer = Plan(call);
        if (answer.Delay > TimeSpan.Zero)
        {
            await Task.Delay(answer.Delay, ctx.RequestAborted);
        }

        if (answer.Status != 200)
        {
            ctx.Response.StatusCode = answer.Status;
            await ctx.Response.WriteAsync("""{"error":{"message":"injected","type":"server_error"}}""");
            return;
        }

        var started = DateTimeOffset.UtcNow;
        var requestSha = Convert.ToHexStringLower(SHA256.HashData(body));
        if (call.Stream)
        {
            await StreamAsync(ctx, call, answer, started, requestSha);
        }
        else
        {
            await WholeAsync(ctx, call, answer, started, requestSha);
        }
    }

    private async Task WholeAsync(HttpContext ctx, SellerCall call, SellerAnswer answer, DateTimeOffset started, string requestSha)
    {
        var output = answer.OutputTokens ?? TokenEstimator.FromUtf8Bytes(Encoding.UTF8.GetByteCount(answer.Text));
        var input = answer.InputTokens ?? call.PromptTokens;
        var usage = answer.OmitUsage ? "" : $$""","usage":{"prompt_tokens":{{input}},"completion_tokens":{{output}},"total_tokens":{{input + output}}}""";
        var bytes = Encoding.UTF8.GetBytes($$"""{"id":"x","object":"chat.completion","created":1,"model":"{{call.Model}}","choices":[{"index":0,"message":{"role":"assistant","content":{{JsonSerializer.Serialize(answer.Text)}}},"finish_reason":"stop"}]{{usage}}}""");
        if (Receipt(call, answer, input, output, started, requestSha, Convert.ToHexStringLower(SHA256.HashData(bytes))) is { } receipt)
        {
            ctx.Response.Headers[Receipts.Header] = Receipts.Base64Url(Encoding.UTF8.GetBytes(receipt));
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(bytes);
    }

    private async Task StreamAsync(HttpContext ctx, SellerCall call, SellerAnswer answer, DateTimeOffset started, string requestSha)
    {
        ctx.Response.ContentType = "text/event-stream";
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        async Task Send(string evt)
        {
            var b = Encoding.UTF8.GetBytes(evt);
            hash.AppendData(b);
            await ctx.Response.Body.WriteAsync(b, ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
        }

        var words = answer.Text.Split(' ');
        for (int i = 0; i < words.Length; i++)
        {
            var piece = i == 0 ? words[i] : " " + words[i];
            await Send($$"""data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"{{call.Model}}","choices":[{"index":0,"delta":{"content":{{JsonSerializer.Serialize(piece)}}},"finish_reason":null}]}""" + "\n\n");
            if (answer.StallAfterEvent == i)
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }

            if (answer.DropAfterEvent == i)
            {
                // The connection goes, mid-answer (a crashed engine, a cut link), once what was sent has
                // had time to arrive (a reset discards what the other side has not read yet).
                await Task.Delay(300);
                ctx.Abort();
                return;
            }
        }

        var input = answer.InputTokens ?? call.PromptTokens;
        var output = answer.OutputTokens ?? words.Length;
        await Send($$"""data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"{{call.Model}}","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""" + "\n\n");
        if (!answer.OmitUsage)
        {
            await Send($$$"""data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"{{{call.Model}}}","choices":[],"usage":{"prompt_tokens":{{{input}}},"completion_tokens":{{{output}}},"total_tokens":{{{input + output}}}}}""" + "\n\n");
        }

        await Send("data: [DONE]\n\n");
        if (Receipt(call, answer, input, output, started, requestSha, Convert.ToHexStringLower(hash.GetHashAndReset())) is { } receipt)
        {
            var evt = Encoding.UTF8.GetBytes($"event: {Receipts.SseEvent}\ndata: {receipt}\n\n");
            await ctx.Response.Body.WriteAsync(evt);
        }
    }

    /// <summary>The receipt as sent: signed by the seller's key (or the plan's), then changed as the plan says.</summary>
    private string? Receipt(SellerCall call, SellerAnswer answer, long input, long output, DateTimeOffset started, string requestSha, string responseSha)
    {
        if (answer.NoReceipt)
        {
            return null;
        }

        if (answer.RawReceipt is { } raw)
        {
            return raw;
        }

        var body = Receipts.Body("exporter", call.RequestId, call.Attempt, call.Buyer, Id, call.Model, answer.ReceiptInputTokens ?? input, answer.ReceiptOutputTokens ?? output,
            InputPrice, OutputPrice, "USD", started, DateTimeOffset.UtcNow, requestSha, responseSha);
        answer.ChangeBody?.Invoke(body);
        var signed = Receipts.SignAsSeller(body, answer.SignWith ?? Key, Id);
        answer.ChangeSigned?.Invoke(signed);
        try
        {
            return Encoding.UTF8.GetString(CanonicalJson.Serialize(signed));
        }
        catch (FormatException)
        {
            return signed.ToJsonString(); // a receipt no canonical form exists for (a float): sent as it is
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Key.Dispose();
    }
}

/// <summary>One call as the seller saw it; <see cref="PromptTokens"/> is the exchange's own estimate of its prompt.</summary>
internal sealed record SellerCall(int N, string RequestId, int Attempt, string Buyer, string Quote, string Model, bool Stream, long PromptTokens, byte[] Body,
    IReadOnlyDictionary<string, string> Headers);

/// <summary>How the seller answers one call. The defaults are an honest answer.</summary>
internal sealed record SellerAnswer
{
    public string Text { get; init; } = "A fine answer from a faraway seller, every word of it delivered";
    public int Status { get; init; } = 200;
    public TimeSpan Delay { get; init; }

    /// <summary>Usage the answer states (null: the honest count).</summary>
    public long? InputTokens { get; init; }
    public long? OutputTokens { get; init; }
    public bool OmitUsage { get; init; }

    /// <summary>Tokens the receipt states when they should differ from the answer's usage.</summary>
    public long? ReceiptInputTokens { get; init; }
    public long? ReceiptOutputTokens { get; init; }
    public bool NoReceipt { get; init; }
    public string? RawReceipt { get; init; }
    public Action<JsonObject>? ChangeBody { get; init; }
    public Action<JsonObject>? ChangeSigned { get; init; }
    public SigningKey? SignWith { get; init; }

    /// <summary>Streams: stop sending (without closing) after this event.</summary>
    public int? StallAfterEvent { get; init; }

    /// <summary>Streams: drop the connection after this event.</summary>
    public int? DropAfterEvent { get; init; }
}
