using Entrepot.Core.Protocol;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

/// <summary>Writes OpenAI-shaped errors to a response that has not started.</summary>
public static class HttpErrors
{
    public static Task WriteAsync(HttpContext ctx, int status, string message, string type, string? param = null, string? code = null)
    {
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        OpenAIError.Write(response.BodyWriter, message, type, param, code);
        return response.BodyWriter.FlushAsync().AsTask();
    }

    public static Task WriteAsync(HttpContext ctx, int status, RequestError e) => WriteAsync(ctx, status, e.Message, e.Type, e.Param, e.Code);

    public static Task Unauthorized(HttpContext ctx) => WriteAsync(ctx, StatusCodes.Status401Unauthorized,
        "Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.", "authentication_error", null, "invalid_api_key");
}
