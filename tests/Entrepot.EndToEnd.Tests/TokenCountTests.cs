using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Entrepot.Core.Trust;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The exchange counts the demo model's tokens with the model file's own vocabulary and the prompt
/// its engine builds, so an honest seller is never flagged: the embedded engine, and an exporter in
/// front of another engine serving the same model over the OpenAI API (as one in front of vLLM or a
/// llama.cpp server is). A seller that adds a tenth to its counts is flagged and billed the
/// exchange's count.
/// </summary>
public partial class TokenCountTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private static readonly string[] Words =
    [
        "Once", "upon", "a", "time", "there", "was", "little", "girl", "named", "Lily", "she", "liked", "to", "play", "in", "the", "park",
        "with", "her", "big", "red", "ball", "One", "day", "Tom", "saw", "cat", "tree", "sun", "happy", "sad", "dog", "ran", "fast", "home",
        "mom", "said", "look", "at", "sky", "blue", "bird", "flew", "high", "over", "garden", "flowers", "were", "pretty", "and", "bright",
        "friend", "Ben", "shared", "his", "toys", "they", "laughed", "all", "together", "\"Hello!\"", "said", "the", "boy,", "smiling.",
    ];

    /// <summary>A few hundred different prompts: one to three messages, 2 to 60 words, 8 to 64 tokens asked for.</summary>
    private string Request(Random rnd, string seller, bool? stream = null)
    {
        string Sentence() => string.Join(' ', Enumerable.Range(0, rnd.Next(2, 60)).Select(_ => Words[rnd.Next(Words.Length)]));
        var messages = new JsonArray();
        if (rnd.Next(3) == 0)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = Sentence() });
        }

        messages.Add(new JsonObject { ["role"] = "user", ["content"] = Sentence() });
        if (rnd.Next(3) == 0)
        {
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = Sentence() });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = Sentence() });
        }

        return new JsonObject
        {
            ["model"] = demo.Market.ModelName,
            ["messages"] = messages,
            ["max_tokens"] = rnd.Next(8, 65),
            ["temperature"] = Math.Round(0.3 + rnd.NextDouble(), 2),
            ["stream"] = stream ?? rnd.Next(2) == 0,
            ["provider"] = new JsonObject { ["only"] = new JsonArray(seller), ["allow_fallbacks"] = false },
        }.ToJsonString();
    }

    /// <summary>Sends each request and returns every receipt the exchange countersigned for them.</summary>
    private async Task<List<JsonObject>> TradeAsync(IEnumerable<string> bodies)
    {
        var receipts = new System.Collections.Concurrent.ConcurrentBag<JsonObject>();
        await Parallel.ForEachAsync(bodies, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (body, ct) =>
        {
            var r = await demo.Http.PostChatAsync(body);
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync(ct));
            await r.Content.ReadAsStringAsync(ct);
            await demo.Market.Exchange.FlushAsync(ct);
            var got = await demo.Http.GetAsync($"receipts/{r.Header("Entrepot-Request-Id")}", ct);
            receipts.Add(JsonNode.Parse(await got.Content.ReadAsStringAsync(ct))!.AsObject());
        });
        return [.. receipts];
    }

    private static List<string> Flags(JsonObject receipt) => receipt["check"]!["flags"]!.AsArray().Select(f => (string)f!).ToList();

    [Fact]
    public async Task HonestSellers_AreNeverFlagged_OneThatAddsATenthIs()
    {
        var model = ((EmbeddedEngine)demo.Market.Nodes["de-frankfurt"].Engine).Model;
        using var exchangeKey = SigningKey.LoadOrCreate(demo.Market.Exchange.Settings.DataDir);
        var trusted = new TrustedExchange { KeyId = exchangeKey.KeyId, PublicKey = Receipts.Base64Url(exchangeKey.PublicKey) };

        // "A real engine": a plain OpenAI-compatible server of the same model (llama.cpp through the
        // embedded engine, no Entrepot in front), with an exporter node in front of it, and one in front
        // of a proxy that adds a tenth (rounded up) to every count it passes on.
        await using var engine = await PlainServer.StartAsync(new EmbeddedEngine(model, ownsModel: false));
        await using var inflating = await InflatingProxy.StartAsync(engine.V1);
        await using var honest = await Node("honest-upstream", engine.V1, trusted);
        await using var inflated = await Node("inflating-upstream", inflating.V1, trusted);

        var rnd = new Random(17);
        var embedded = await TradeAsync(Enumerable.Range(0, 200).Select(_ => Request(rnd, "de-frankfurt")));
        var upstream = await TradeAsync(Enumerable.Range(0, 100).Select(_ => Request(rnd, "honest-upstream")));
        var lying = await TradeAsync(Enumerable.Range(0, 100).Select(_ => Request(rnd, "inflating-upstream", stream: false)));

        // Honest: not one flag in 300 trades, each billed as the seller counted. The exchange's count of
        // the prompt is the engine's exactly; of the answer, within a token (a generated token the
        // vocabulary would split differently when the text is read back).
        var offByOne = 0;
        foreach (var r in embedded.Concat(upstream))
        {
            Assert.True(Flags(r).Count == 0, r.ToJsonString());
            Assert.Equal((long)r["receipt"]!["input_tokens"]!, (long)r["check"]!["input_tokens_counted"]!);
            var outputDifference = Math.Abs((long)r["receipt"]!["output_tokens"]! - (long)r["check"]!["output_tokens_counted"]!);
            Assert.InRange(outputDifference, 0, 1);
            offByOne += (int)outputDifference;
            Assert.Equal((long)r["receipt"]!["output_tokens"]!, (long)r["check"]!["settled"]!["output_tokens"]!);
            Assert.Contains("vocabulary", (string)r["check"]!["counter"]!, StringComparison.Ordinal);
        }

        Assert.True(offByOne <= 15, $"{offByOne} of 300 answers counted a token apart");

        // The inflating seller: flagged wherever a tenth is more than the tolerance (2 % and a token),
        // and then billed the exchange's count; here that is every trade.
        var flagged = 0;
        foreach (var r in lying)
        {
            var check = r["check"]!;
            long countedIn = (long)check["input_tokens_counted"]!, countedOut = (long)check["output_tokens_counted"]!;
            long claimedIn = (long)r["receipt"]!["input_tokens"]!, claimedOut = (long)r["receipt"]!["output_tokens"]!;
            Assert.True(((countedIn * 11) + 9) / 10 == claimedIn, r.ToJsonString());
            var flags = Flags(r);
            var expectIn = claimedIn - countedIn > 1 + (0.02 * countedIn);
            var expectOut = claimedOut - countedOut > 1 + (0.02 * countedOut);
            Assert.Equal(expectIn, flags.Contains("input_tokens_beyond_tolerance"));

            // Beyond the max_tokens the buyer's hold allowed (the quote says it), a count is absurd outright.
            var maxOut = Quote.Read((string?)r["receipt"]!["quote"])!.MaxOutput;
            var absurd = claimedOut > maxOut;
            Assert.Equal(absurd, flags.Contains("output_tokens_absurd"));
            Assert.Equal(expectOut && !absurd, flags.Contains("output_tokens_beyond_tolerance"));
            Assert.Equal(expectIn ? countedIn : claimedIn, (long)check["settled"]!["input_tokens"]!);
            Assert.Equal(expectOut || absurd ? Math.Min(countedOut, maxOut) : claimedOut, (long)check["settled"]!["output_tokens"]!);
            flagged += flags.Count > 0 ? 1 : 0;
        }

        Assert.True(flagged >= 95, $"only {flagged} of 100 inflated trades were flagged");
    }

    private async Task<ExporterHost> Node(string id, Uri engine, TrustedExchange trusted)
    {
        var node = ExporterHost.Create(new ExporterConfig
        {
            Node = new NodeSection { Id = id, Jurisdiction = "DE", Port = 0, Price = new NodePrice { Input = 0.5m, Output = 1m, Currency = "USD" } },
            Engine = new EngineSection { Kind = "upstream", BaseUrl = engine.AbsoluteUri, Models = [demo.Market.ModelName] },
            TrustedExchanges = [trusted],
        }, new UpstreamEngine(engine, null, [demo.Market.ModelName]), ownsEngine: true, dataDir: SharedModel.TempDir(id));
        await node.StartAsync();
        using var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", demo.Market.AdminKey);
        var put = await admin.PutAsync("admin/providers/" + id, Json.Body($$"""
            {"kind":"exporter","base_url":"{{new Uri(node.BaseUrl, "v1").AbsoluteUri}}","jurisdiction":"DE","city":"Frankfurt","locode":"DEFRA",
             "models":["{{demo.Market.ModelName}}"],"price":{"input":0.5,"output":1,"currency":"USD"},"receipt_public_key":"{{node.PublicKey}}"}
            """));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        return node;
    }

    /// <summary>An engine served as a plain OpenAI-compatible API, as vLLM or a llama.cpp server serves a model.</summary>
    private sealed class PlainServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly IEngine _engine;

        private PlainServer(WebApplication app, IEngine engine)
        {
            _app = app;
            _engine = engine;
        }

        public Uri V1 { get; private set; } = null!;

        public static async Task<PlainServer> StartAsync(IEngine engine)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
            {
                using var body = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(body);
                await engine.ServeAsync(Core.Protocol.EndpointKind.ChatCompletions, body.ToArray(), new Exporter.Hosting.HttpAnswer(ctx.Response), ctx.RequestAborted);
            });
            await app.StartAsync();
            var server = new PlainServer(app, engine)
            {
                V1 = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1/"),
            };
            return server;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.DisposeAsync();
            _engine.Dispose();
        }
    }

    /// <summary>Passes requests to an OpenAI-compatible server and adds a tenth (rounded up) to the usage it reports.</summary>
    private sealed partial class InflatingProxy : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _http = new();

        private InflatingProxy(WebApplication app) => _app = app;

        public Uri V1 { get; private set; } = null!;

        public static async Task<InflatingProxy> StartAsync(Uri upstream)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var proxy = new InflatingProxy(app);
            app.MapPost("/v1/chat/completions", async (HttpContext ctx) =>
            {
                using var body = new StreamContent(ctx.Request.Body);
                body.Headers.ContentType = new("application/json");
                using var answer = await proxy._http.PostAsync(new Uri(upstream, "chat/completions"), body);
                var text = await answer.Content.ReadAsStringAsync();
                text = Usage().Replace(text, m => $"\"{m.Groups[1].Value}\":{((long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) * 11) + 9) / 10}");
                ctx.Response.StatusCode = (int)answer.StatusCode;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(text);
            });
            await app.StartAsync();
            proxy.V1 = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1/");
            return proxy;
        }

        [GeneratedRegex("\"(prompt_tokens|completion_tokens)\":(\\d+)")]
        private static partial Regex Usage();

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.DisposeAsync();
        }
    }
}
