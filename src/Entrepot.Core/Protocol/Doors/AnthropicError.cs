using System.Buffers;
using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// Anthropic's error shape, <c>{"type":"error","error":{"type","message"}}</c>, the one exception to
/// the OpenAI shape: the Messages door answers in it, since Anthropic's SDKs read nothing else. The
/// error type follows the HTTP status as Anthropic's documented table does.
/// </summary>
public static class AnthropicError
{
    public static string TypeOf(int status) => status switch
    {
        400 or 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 or 451 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        503 or 529 => "overloaded_error",
        >= 400 and < 500 => "invalid_request_error",
        _ => "api_error",
    };

    public static void Write(IBufferWriter<byte> output, int status, string message)
    {
        using var w = new Utf8JsonWriter(output);
        Write(w, status, message);
    }

    public static void Write(Utf8JsonWriter w, int status, string message)
    {
        w.WriteStartObject();
        w.WriteString("type", "error");
        w.WriteStartObject("error");
        w.WriteString("type", TypeOf(status));
        w.WriteString("message", message);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static byte[] ToBytes(int status, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, status, message);
        return buffer.WrittenSpan.ToArray();
    }
}
