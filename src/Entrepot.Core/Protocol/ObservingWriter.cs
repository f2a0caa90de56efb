using System.Buffers;

namespace Entrepot.Core.Protocol;

/// <summary>Writes through to another buffer writer and shows every byte written to
/// <paramref name="observe"/> (a hash of what a party received, a stream's usage).</summary>
public sealed class ObservingWriter(IBufferWriter<byte> inner, Action<ReadOnlySpan<byte>> observe) : IBufferWriter<byte>
{
    private Memory<byte> _lent;

    public void Advance(int count)
    {
        observe(_lent.Span[..count]);
        inner.Advance(count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0) => _lent = inner.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => (_lent = inner.GetMemory(sizeHint)).Span;
}
