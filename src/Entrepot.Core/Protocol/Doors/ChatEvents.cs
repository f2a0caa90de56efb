using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// Splits a chat completions event stream, as it arrives in pieces, into its chunks: the JSON of
/// each <c>data:</c> event, or the end (<c>[DONE]</c>). Comments, other fields and events that are
/// not JSON objects are skipped (a door's own events are written by its translator, never copied).
/// </summary>
public sealed class ChatEvents
{
    private byte[] _pending = new byte[4096];
    private int _length;

    /// <summary>The seller sent <c>data: [DONE]</c>.</summary>
    public bool Done { get; private set; }

    /// <summary>Adds bytes and calls <paramref name="onChunk"/> with each complete chunk's JSON.</summary>
    public void Push(ReadOnlySpan<byte> bytes, Action<JsonElement> onChunk)
    {
        if (_length + bytes.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _length + bytes.Length));
        }

        bytes.CopyTo(_pending.AsSpan(_length));
        _length += bytes.Length;
        var start = 0;
        while (true)
        {
            var end = SseRelay.FindEventEnd(_pending.AsSpan(0, _length), start);
            if (end < 0)
            {
                break;
            }

            Event(_pending.AsSpan(start, end - start), onChunk);
            start = end;
        }

        _pending.AsSpan(start, _length - start).CopyTo(_pending);
        _length -= start;
    }

    /// <summary>Reads an event left without its blank line when the stream ended.</summary>
    public void Complete(Action<JsonElement> onChunk)
    {
        if (_length > 0)
        {
            Event(_pending.AsSpan(0, _length), onChunk);
            _length = 0;
        }
    }

    private byte[] _data = new byte[4096];

    private void Event(ReadOnlySpan<byte> ev, Action<JsonElement> onChunk)
    {
        // An event's data is its data lines joined by newlines (almost always one line).
        var length = 0;
        var first = true;
        while (!ev.IsEmpty)
        {
            var nl = ev.IndexOfAny((byte)'\n', (byte)'\r');
            var line = nl < 0 ? ev : ev[..nl];
            ev = nl < 0 ? default : ev[(nl + 1)..];
            if (!line.StartsWith("data:"u8))
            {
                continue;
            }

            var value = line[5..];
            if (!value.IsEmpty && value[0] == ' ')
            {
                value = value[1..];
            }

            var needed = length + value.Length + 1;
            if (needed > _data.Length)
            {
                Array.Resize(ref _data, Math.Max(_data.Length * 2, needed));
            }

            if (!first)
            {
                _data[length++] = (byte)'\n';
            }

            value.CopyTo(_data.AsSpan(length));
            length += value.Length;
            first = false;
        }

        var payload = _data.AsMemory(0, length);
        if (payload.Span.SequenceEqual("[DONE]"u8))
        {
            Done = true;
            return;
        }

        if (payload.IsEmpty || payload.Span[0] != '{')
        {
            return;
        }

        try
        {
            using var doc = JsonDocument.Parse(payload);
            onChunk(doc.RootElement);
        }
        catch (JsonException)
        {
            // Not JSON: nothing a door can carry.
        }
    }
}
