using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// Kestrel runs each request inline on the socket thread that read it, the exchange's fastest
/// setting, and the relay's endpoints never block. The other endpoints (admin, market, trade,
/// dashboard, receipts) call stores synchronously; a blocking call over a socket (PostgreSQL in a
/// cluster) made on a socket thread can wait for that very thread to deliver its answer, a hang
/// until the command times out. So every request but the relay's has its body read in full here
/// (they are small: JSON documents, heartbeats) and then continues on the thread pool, where its
/// handler's awaits on the buffered body complete without going back to a socket thread.
/// </summary>
internal sealed class ThreadPoolHop(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path;
        if (path != "/v1/chat/completions" && path != "/v1/completions")
        {
            var request = ctx.Request;
            if (request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0))
            {
                // Bounded by Kestrel's request body limit; beyond a megabyte it is kept in a temporary file.
                request.EnableBuffering(bufferThreshold: 1024 * 1024);
                await request.Body.CopyToAsync(Stream.Null, ctx.RequestAborted).ConfigureAwait(false);
                request.Body.Position = 0;
            }

            await Task.Yield();
        }

        await next(ctx).ConfigureAwait(false);
    }
}
