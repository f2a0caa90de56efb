using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Tests;

/// <summary>A seller on loopback that keeps every request body it receives (what crossed the border)
/// and answers with the test's own function of that body.</summary>
internal sealed class RecordingSeller : IAsyncDisposable
{
    private RecordingSeller(FaultyUpstream upstream) => Upstream = upstream;

    public FaultyUpstream Upstream { get; }

    /// <summary>Every body received, in order.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    public static async Task<RecordingSeller> StartAsync(Func<string, HttpContext, Task> answer)
    {
        var seller = new RecordingSeller(await FaultyUpstream.StartAsync());
        seller.Upstream.Behaviour = async (_, ctx) =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            seller.Bodies.Enqueue(body);
            await answer(body, ctx);
        };
        return seller;
    }

    public ValueTask DisposeAsync() => Upstream.DisposeAsync();
}
