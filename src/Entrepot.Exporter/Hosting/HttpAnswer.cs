using System.Buffers;
using Entrepot.Exporter.Engines;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exporter.Hosting;

/// <summary>An engine's answer written to an HTTP response as it comes; each byte also goes to
/// <paramref name="observe"/> when given (the receipt's hash and usage of a stream).</summary>
public sealed class HttpAnswer(HttpResponse response, Action<ReadOnlySpan<byte>>? observe = null) : EngineAnswer
{
    private readonly Core.Protocol.ObservingWriter? _observed = observe is null ? null : new Core.Protocol.ObservingWriter(response.BodyWriter, observe);

    public override IBufferWriter<byte> Body => (IBufferWriter<byte>?)_observed ?? response.BodyWriter;

    public override async ValueTask FlushAsync(CancellationToken ct) => await response.BodyWriter.FlushAsync(ct).ConfigureAwait(false);

    protected override void OnBegin()
    {
        response.StatusCode = Status;
        response.ContentType = ContentType;
        if (ContentType.StartsWith("text/event-stream", StringComparison.Ordinal))
        {
            response.Headers.CacheControl = "no-cache";
        }

        if (RetryAfter is not null)
        {
            response.Headers.RetryAfter = RetryAfter;
        }
    }
}
