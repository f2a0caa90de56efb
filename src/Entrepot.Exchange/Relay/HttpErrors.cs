using Entrepot.Core.Protocol;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

/// <summary>Writes errors to a response that has not started: OpenAI-shaped, or Anthropic-shaped on the Messages door.</summary>
public static class HttpErrors
{
    public static Task WriteAsync(HttpContext ctx, int status, string message, string type, string? param = null, string? code = null)
    {
        var response = ctx.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        if (Doors.SpeaksAnthropic(ctx))
        {
            Core.Protocol.Doors.AnthropicError.Write(response.BodyWriter, status, message);
        }
        else
        {
            OpenAIError.Write(response.BodyWriter, message, type, param, code);
        }

        return response.BodyWriter.FlushAsync().AsTask();
    }

    public static Task WriteAsync(HttpContext ctx, int status, RequestError e) => WriteAsync(ctx, status, e.Message, e.Type, e.Param, e.Code);

    public static Task Unauthorized(HttpContext ctx) => WriteAsync(ctx, StatusCodes.Status401Unauthorized,
        "Missing or invalid API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key: <key>').", "authentication_error", null, "invalid_api_key");
}
