using System.Buffers;
using Entrepot.Core.Protocol;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exporter.Engines;

internal static class Http
{
    public static Task ErrorAsync(HttpContext ctx, int status, RequestError e)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        OpenAIError.Write(ctx.Response.BodyWriter, e.Message, e.Type, e.Param, e.Code);
        return ctx.Response.BodyWriter.FlushAsync().AsTask();
    }

    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
