using System.Buffers;
using Entrepot.Core.Protocol;

namespace Entrepot.Exporter.Engines;

internal static class Http
{
    public static Task ErrorAsync(EngineAnswer answer, int status, RequestError e)
    {
        answer.Begin(status, "application/json");
        OpenAIError.Write(answer.Body, e.Message, e.Type, e.Param, e.Code);
        return answer.FlushAsync(default).AsTask();
    }

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
