using System.Buffers;
using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>Writes <c>{"error":{"message","type","param","code"}}</c>, the shape every OpenAI SDK parses.</summary>
public static class OpenAIError
{
    public static void Write(IBufferWriter<byte> output, string message, string type, string? param, string? code)
    {
        using var w = new Utf8JsonWriter(output);
        w.WriteStartObject();
        w.WriteStartObject("error");
        w.WriteString("message", message);
        w.WriteString("type", type);
        if (param is null)
        {
            w.WriteNull("param");
        }
        else
        {
            w.WriteString("param", param);
        }

        if (code is null)
        {
            w.WriteNull("code");
        }
        else
        {
            w.WriteString("code", code);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static byte[] ToBytes(string message, string type, string? param, string? code)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(buffer, message, type, param, code);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] ToBytes(RequestError e) => ToBytes(e.Message, e.Type, e.Param, e.Code);
}
