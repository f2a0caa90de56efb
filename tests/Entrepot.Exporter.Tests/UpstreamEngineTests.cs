using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Trust;
using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exporter.Tests;

/// <summary>
/// An exporter node in front of someone else's OpenAI-compatible server (vLLM, Ollama, llama.cpp's
/// server), through its upstream engine. The server is first a real one, another node serving the
/// embedded engine, plain and streamed; then one that fails in the ways such servers do (an error,
/// a 429 with Retry-After, nobody listening, a slow answer, a buyer who leaves while it is slow).
/// </summary>
public sealed class UpstreamEngineTests
{
    private const string Chat = """{"model":"random","max_tokens":8,"messages":[{"role":"user","content":"hello"}]}""";

    private static ExporterConfig Config(string id) => new()
    {
        Node = new NodeSection { Id = id, Jurisdiction = "DE", Port = 0 },
        Engine = new EngineSection { Kind = "embedded" },
        Admission = new AdmissionSection { MaxConcurrency = 2, MaxQueue = 4 },
    };

    private static async Task<ExporterHost> Front(Uri upstreamV1, string dir)
    {
        var node = ExporterHost.Create(Config("front"), new UpstreamEngine(upstreamV1, null, ["random"]), ownsEngine: true, dataDir: Path.Combine(dir, "front"));
        await node.StartAsync();
        return node;
    }

    private static Task<HttpResponseMessage> Post(ExporterHost node, string body, CancellationToken ct = default)
    {
        var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = TimeSpan.FromSeconds(60) };
        return http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), ct);
    }

    [Fact]
    public async Task InFrontOfARealServer_PlainAndStreamed_TheAnswerPassesThroughWithTheNodesReceipt()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-upstream-").FullName;
        var modelPath = Path.Combine(dir, "random.gguf");
        RandomGguf.Write(modelPath);
        await using var back = ExporterHost.Create(Config("back"), new EmbeddedEngine(EmbeddedModel.Load(new ModelFile(modelPath, ModelOrigin.RandomWeights))),
            ownsEngine: true, dataDir: Path.Combine(dir, "back"));
        await back.StartAsync();
        await using var front = await Front(new Uri(back.BaseUrl, "v1"), dir);

        var plain = await Post(front, Chat);
        var text = await plain.Content.ReadAsStringAsync();
        Assert.True(plain.StatusCode == HttpStatusCode.OK, text);
        using (var doc = JsonDocument.Parse(text))
        {
            Assert.Equal("chat.completion", doc.RootElement.GetProperty("object").GetString());
            Assert.True(doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() is > 0 and <= 8);
        }

        // The front node signs what it passed on: its own receipt, over exactly these bytes.
        var receipt = Receipts.FromHeader(plain.Headers.GetValues(Receipts.Header).Single())!["receipt"]!;
        Assert.Equal("front", (string?)receipt["seller"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text))), (string?)receipt["response_sha256"]);

        var streamed = await Post(front, Chat.Replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"", StringComparison.Ordinal));
        var events = await streamed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.StartsWith("text/event-stream", streamed.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Contains("chat.completion.chunk", events, StringComparison.Ordinal);
        Assert.Contains("data: [DONE]", events, StringComparison.Ordinal);
        Assert.Contains("event: " + Receipts.SseEvent, events, StringComparison.Ordinal); // after the seller's stream, the node's receipt
        Assert.Equal(2, back.Served);
        Assert.Equal(2, front.Served);
    }

    [Fact]
    public async Task WhenTheServerFails_TheNodeSaysSo_InTheOpenAIShape()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-upstream-faults-").FullName;
        await using var server = await Server.StartAsync();
        await using var front = await Front(server.V1, dir);

        server.Behaviour = async ctx =>
        {
            ctx.Response.StatusCode = 500;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("""{"error":{"message":"CUDA out of memory","type":"server_error"}}""");
        };
        var failed = await Post(front, Chat);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Contains("CUDA out of memory", await failed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(failed.Headers.Contains(Receipts.Header)); // nothing delivered, nothing signed

        server.Behaviour = async ctx =>
        {
            ctx.Response.StatusCode = 429;
            ctx.Response.Headers.RetryAfter = "7";
            await ctx.Response.WriteAsync("""{"error":{"message":"busy","type":"rate_limit_error"}}""");
        };
        var busy = await Post(front, Chat);
        Assert.Equal(HttpStatusCode.TooManyRequests, busy.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), busy.Headers.RetryAfter!.Delta);

        // Slow, but it answers: the node waits for it (a long prompt on a busy GPU is not a failure).
        server.Behaviour = async ctx =>
        {
            await Task.Delay(1500, ctx.RequestAborted);
            await Ok(ctx);
        };
        var slow = await Post(front, Chat);
        Assert.Equal(HttpStatusCode.OK, slow.StatusCode);

        // A buyer who leaves while it is slow: the node's request to the server is cancelled too.
        var aborted = new TaskCompletionSource();
        server.Behaviour = async ctx =>
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
                await Ok(ctx);
            }
            catch (OperationCanceledException)
            {
                aborted.TrySetResult();
            }
        };
        using (var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Post(front, Chat, leave.Token));
        }

        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        // ... and the node's slot comes back once its handler has unwound.
        for (var i = 0; i < 400 && front.Admission.InFlight != 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.Equal(0, front.Admission.InFlight);
    }

    [Fact]
    public async Task WhenNobodyListens_The502NamesTheEngine()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-upstream-gone-").FullName;
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        await using var front = await Front(new Uri($"http://127.0.0.1:{port}/v1"), dir);
        var gone = await Post(front, Chat);
        Assert.Equal(HttpStatusCode.BadGateway, gone.StatusCode);
        using var doc = JsonDocument.Parse(await gone.Content.ReadAsStringAsync());
        Assert.Equal("engine_unreachable", doc.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    private static Task Ok(HttpContext ctx)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync("""{"id":"x","object":"chat.completion","created":1,"model":"random","choices":[{"index":0,"message":{"role":"assistant","content":"fine"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");
    }

    /// <summary>An OpenAI-compatible server whose failures the test chooses.</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Server(WebApplication app) => _app = app;

        public Func<HttpContext, Task> Behaviour { get; set; } = Ok;

        public Uri V1 { get; private set; } = null!;

        public static async Task<Server> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            var server = new Server(app);
            app.MapPost("/v1/chat/completions", ctx => server.Behaviour(ctx));
            await app.StartAsync();
            server.V1 = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1");
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
