using System.Buffers;

namespace Entrepot.Exchange.Relay;

/// <summary>A whole (non-streamed) seller response read into a pooled buffer.</summary>
internal sealed class PooledContent : IDisposable
{
    private byte[] _buffer;

    private PooledContent(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, Length);

    public static async Task<PooledContent> ReadAsync(HttpContent content, int max, CancellationToken ct)
    {
        var hint = content.Headers.ContentLength is long l and > 0 and < int.MaxValue ? (int)l : 4096;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(hint, max));
        var length = 0;
        try
        {
            await using var stream = await content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length >= max)
                    {
                        throw new HttpRequestException($"The seller's response exceeds {max} bytes.");
                    }

                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, max));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }

                var n = await stream.ReadAsync(buffer.AsMemory(length), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                length += n;
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new PooledContent(buffer, length);
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
