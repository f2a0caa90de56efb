using System.Buffers;

namespace Entrepot.Exporter.Engines;

/// <summary>
/// Where an engine writes its answer, whatever carries it on: the status, content type and
/// Retry-After, given once before the first byte, then the body, flushed as it goes. The node puts
/// it on the wire (<see cref="Hosting.HttpAnswer"/>), buffers it to sign a whole answer, or hashes
/// a stream as it passes; an engine sees none of that.
/// </summary>
public abstract class EngineAnswer
{
    public int Status { get; private set; } = 200;
    public string ContentType { get; private set; } = "application/json";
    public string? RetryAfter { get; private set; }

    /// <summary>The status and headers are given (the body may follow).</summary>
    public bool Started { get; private set; }

    public void Begin(int status, string contentType, string? retryAfter = null)
    {
        if (Started)
        {
            throw new InvalidOperationException("The answer has already begun.");
        }

        Status = status;
        ContentType = contentType;
        RetryAfter = retryAfter;
        Started = true;
        OnBegin();
    }

    /// <summary>Where the body is written (after <see cref="Begin"/>).</summary>
    public abstract IBufferWriter<byte> Body { get; }

    /// <summary>Sends what was written so far on its way.</summary>
    public abstract ValueTask FlushAsync(CancellationToken ct);

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        Body.Write(bytes.Span);
        await FlushAsync(ct).ConfigureAwait(false);
    }

    protected virtual void OnBegin()
    {
    }
}

/// <summary>An answer kept whole in memory (to be signed before it is sent).</summary>
public sealed class BufferedAnswer : EngineAnswer
{
    private readonly ArrayBufferWriter<byte> _body = new(4096);

    public override IBufferWriter<byte> Body => _body;

    public ReadOnlyMemory<byte> Bytes => _body.WrittenMemory;

    public override ValueTask FlushAsync(CancellationToken ct) => ValueTask.CompletedTask;
}
