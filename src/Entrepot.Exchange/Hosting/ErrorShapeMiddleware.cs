using Entrepot.Exchange.Relay;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// Last line of defence: a request Kestrel itself rejects (body too large, malformed framing) gets
/// its 4xx in the OpenAI error shape, and an unexpected fault a 500 with no stack trace.
/// </summary>
internal sealed partial class ErrorShapeMiddleware(RequestDelegate next, ILogger<ErrorShapeMiddleware> log)
{
    public async Task InvokeAsync(HttpContext ctx)
    {
        try
        {
            await next(ctx).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!ctx.Response.HasStarted)
        {
            var code = e.StatusCode == 413 ? "request_too_large" : "bad_request";
            await HttpErrors.WriteAsync(ctx, e.StatusCode, e.Message, "invalid_request_error", null, code).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is nobody to answer.
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            LogUnexpected(log, e, ctx.Request.Path);
            await HttpErrors.WriteAsync(ctx, 500, "The exchange failed unexpectedly; the fault has been logged.", "api_error", null, "internal_error").ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected fault serving {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception e, PathString path);
}
