using System.Buffers;
using System.Security.Cryptography;

namespace Entrepot.Exchange.Relay;

/// <summary>Writes through to another buffer writer and hashes every byte written.</summary>
internal sealed class HashingWriter(IBufferWriter<byte> inner, IncrementalHash hash) : IBufferWriter<byte>
{
    private Memory<byte> _lent;

    public void Advance(int count)
    {
        hash.AppendData(_lent.Span[..count]);
        inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _lent = inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => (_lent = inner.GetMemory(sizeHint)).Span;
}
