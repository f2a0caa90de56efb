using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// An OpenAI-compatible seller on loopback whose failure mode a test chooses: the one place a
/// stand-in is used, to inject 5xx, hangs and valid answers on demand.
/// </summary>
internal sealed class FaultyUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    private FaultyUpstream(WebApplication app) => _app = app;

    public Func<int, HttpContext, Task> Behaviour { get; set; } = (_, ctx) => Ok(ctx);
    public int Calls => Volatile.Read(ref _calls);
    public Uri V1 { get; private set; } = null!;

    public static async Task<FaultyUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var upstream = new FaultyUpstream(app);
        app.MapPost("/v1/chat/completions", ctx => upstream.Behaviour(Interlocked.Increment(ref upstream._calls), ctx));
        app.MapPost("/v1/completions", ctx => upstream.Behaviour(Interlocked.Increment(ref upstream._calls), ctx));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.V1 = new Uri(address + "/v1");
        return upstream;
    }

    public static Task Ok(HttpContext ctx)
    {
        ctx.Response.ContentType = "application/json";
        return ctx.Response.WriteAsync("""{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"fine"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""");
    }

    public static Task Status(HttpContext ctx, int status)
    {
        ctx.Response.StatusCode = status;
        return ctx.Response.WriteAsync("""{"error":{"message":"injected","type":"server_error"}}""");
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
