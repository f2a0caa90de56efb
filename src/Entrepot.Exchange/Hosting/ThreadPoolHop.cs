using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// Kestrel runs each request inline on the socket thread that read it, the exchange's fastest
/// setting, and the relay's endpoints never block. The other endpoints (admin, market, trade,
/// dashboard, receipts) call stores synchronously; a blocking call over a socket (PostgreSQL in a
/// cluster) made on a socket thread can wait for that very thread to deliver its answer, a hang
/// until the command times out. So every request but the relay's continues on the thread pool.
/// </summary>
internal sealed class ThreadPoolHop(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path;
        if (path != "/v1/chat/completions" && path != "/v1/completions")
        {
            await Task.Yield();
        }

        await next(ctx).ConfigureAwait(false);
    }
}
