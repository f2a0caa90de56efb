using System.Buffers;

namespace Entrepot.Core.Protocol;

/// <summary>
/// Watches a server-sent event stream as it is relayed: forwards each complete event as soon as
/// it has arrived, reads the usage from the seller's final chunk, and drops that chunk when only
/// the exchange asked for it. A partial event is held back until its end arrives (a client cannot
/// use half an event anyway); nothing else is buffered.
/// </summary>
public sealed class SseRelay(bool forwardUsageChunk) : IDisposable
{
    /// <summary>The largest event a seller may send (a token's chunk is well under a kilobyte).</summary>
    public const int DefaultMaxEventBytes = 1024 * 1024;

    private byte[] _pending = [];
    private int _pendingLength;

    /// <summary>A single event longer than this ends the stream (<see cref="SseLimitException"/>): the
    /// relay would otherwise hold whatever a seller sends without ever finding the event's end.</summary>
    public int MaxEventBytes { get; init; } = DefaultMaxEventBytes;

    /// <summary>The seller's receipt event was larger than <see cref="MaxEventBytes"/> (or came cut short): it is not kept.</summary>
    public bool ReceiptRefused { get; private set; }

    public long PromptTokens { get; private set; }
    public long CompletionTokens { get; private set; }

    /// <summary>The usage's cached input and reasoning output tokens (0 when it names none).</summary>
    public long CachedTokens { get; private set; }
    public long ReasoningTokens { get; private set; }
    public bool SawUsage { get; private set; }
    public bool SawDone { get; private set; }

    /// <summary>Events that carried generated text: one per token for token-streaming engines.</summary>
    public long ContentEvents { get; private set; }

    /// <summary>The seller's receipt event (<c>event: entrepot.receipt</c>), taken out of the stream:
    /// it is for the exchange, not the buyer.</summary>
    public string? Receipt { get; private set; }

    /// <summary>When set, every byte relayed from the seller except its receipt event is hashed
    /// here, to compare with the hash the seller signed.</summary>
    public System.Security.Cryptography.IncrementalHash? Hasher { get; init; }

    /// <summary>Bytes of event payload seen, the input to the estimator when no usage arrives.</summary>
    public long PayloadBytes { get; private set; }

    /// <summary>Keep the generated text (<see cref="Text"/>), for the exchange's own token count.</summary>
    public bool CaptureText { get; init; }

    private System.Text.StringBuilder? _text;

    /// <summary>The generated text relayed so far (when <see cref="CaptureText"/>).</summary>
    public string Text => Native?.Text ?? _text?.ToString() ?? "";

    /// <summary>Set when the seller answers in a door's own format (a native Responses or Messages
    /// stream): events are read by it instead of as chat chunks.</summary>
    public Doors.NativeAnswer? Native { get; init; }

    /// <summary>Consumes bytes read from the seller and writes what the buyer should receive.</summary>
    public void Process(ReadOnlySpan<byte> input, IBufferWriter<byte> output)
    {
        if (_pendingLength == 0)
        {
            var consumed = ProcessEvents(input, output);
            Keep(input[consumed..]);
            return;
        }

        Keep(input);
        var used = ProcessEvents(_pending.AsSpan(0, _pendingLength), output);
        _pending.AsSpan(used, _pendingLength - used).CopyTo(_pending);
        _pendingLength -= used;
    }

    /// <summary>Writes whatever incomplete event remains when the seller closes the stream.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        if (_pendingLength > 0 && SawDone && _pending.AsSpan(0, _pendingLength).StartsWith("event: entrepot.receipt"u8))
        {
            // A receipt event cut short: not relayed, not kept.
            ReceiptRefused = true;
            _pendingLength = 0;
        }

        if (_pendingLength > 0)
        {
            Inspect(_pending.AsSpan(0, _pendingLength), out _);
            Hasher?.AppendData(_pending.AsSpan(0, _pendingLength));
            output.Write(_pending.AsSpan(0, _pendingLength));
            _pendingLength = 0;
        }
    }

    private int ProcessEvents(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var start = 0;
        var forwardFrom = 0;
        // The hash takes consecutive hashed events in one call into the crypto library, not one call
        // per event (a token-streaming seller sends an event per token).
        var hashFrom = 0;
        while (true)
        {
            var end = FindEventEnd(data, start);
            if (end < 0)
            {
                break;
            }

            Inspect(data[start..end], out var drop);
            if (Hasher is not null && drop && Receipt is not null && data[start..end].StartsWith("event: entrepot.receipt"u8))
            {
                if (start > hashFrom)
                {
                    Hasher.AppendData(data[hashFrom..start]);
                }

                hashFrom = end;
            }

            if (drop)
            {
                if (start > forwardFrom)
                {
                    output.Write(data[forwardFrom..start]);
                }

                forwardFrom = end;
            }

            start = end;
        }

        if (Hasher is not null && start > hashFrom)
        {
            Hasher.AppendData(data[hashFrom..start]);
        }

        if (start > forwardFrom)
        {
            output.Write(data[forwardFrom..start]);
        }

        return start;
    }

    /// <summary>Index just past the blank line that ends the event starting at <paramref name="from"/>, or -1.</summary>
    internal static int FindEventEnd(ReadOnlySpan<byte> data, int from)
    {
        var i = from;
        while (i < data.Length)
        {
            var nl = data[i..].IndexOf((byte)'\n');
            if (nl < 0)
            {
                return -1;
            }

            var next = i + nl + 1;
            if (next < data.Length && data[next] == (byte)'\n')
            {
                return next + 1;
            }

            if (next + 1 < data.Length && data[next] == (byte)'\r' && data[next + 1] == (byte)'\n')
            {
                return next + 2;
            }

            i = next;
        }

        return -1;
    }

    private void Inspect(ReadOnlySpan<byte> evt, out bool drop)
    {
        drop = false;
        var dataAt = evt.IndexOf("data:"u8);
        if (dataAt < 0)
        {
            return;
        }

        var payload = evt[(dataAt + 5)..].Trim((byte)' ').TrimEnd("\r\n"u8);
        if (evt.StartsWith("event: entrepot.receipt"u8))
        {
            Receipt = System.Text.Encoding.UTF8.GetString(payload);
            drop = true;
            return;
        }

        PayloadBytes += payload.Length;
        if (Native is { } native)
        {
            // A seller answering in a door's own format: its events say when it is done, what it wrote and its usage.
            native.Watch(payload);
            SawDone = native.Done;
            ContentEvents = native.ContentEvents;
            if (native.Usage is { } usage)
            {
                (PromptTokens, CompletionTokens, CachedTokens, ReasoningTokens, SawUsage) = (usage.InputTokens, usage.OutputTokens, usage.CachedTokens, usage.ReasoningTokens, true);
            }

            return;
        }

        if (payload.SequenceEqual("[DONE]"u8))
        {
            SawDone = true;
            return;
        }

        if (payload.IndexOf("\"content\":\""u8) >= 0 && payload.IndexOf("\"content\":\"\""u8) < 0 ||
            payload.IndexOf("\"text\":\""u8) >= 0 && payload.IndexOf("\"text\":\"\""u8) < 0)
        {
            ContentEvents++;
            if (CaptureText)
            {
                CompletionText.AppendDeltas(payload, _text ??= new System.Text.StringBuilder());
            }
        }

        if (payload.IndexOf("\"usage\""u8) < 0 || !UsageReader.TryRead(payload, out var prompt, out var completion, out var cached, out var reasoning))
        {
            return;
        }

        PromptTokens = prompt;
        CompletionTokens = completion;
        CachedTokens = cached;
        ReasoningTokens = reasoning;
        SawUsage = true;
        drop = !forwardUsageChunk && (payload.IndexOf("\"choices\":[]"u8) >= 0 || payload.IndexOf("\"choices\": []"u8) >= 0);
    }

    private void Keep(ReadOnlySpan<byte> rest)
    {
        if (rest.IsEmpty)
        {
            return;
        }

        var needed = _pendingLength + rest.Length;
        if (needed > MaxEventBytes)
        {
            if (SawDone)
            {
                // After [DONE] only the seller's receipt may come: one this large is not one, and the
                // buyer already has everything. It is dropped, not relayed.
                ReceiptRefused = true;
                _pendingLength = 0;
                return;
            }

            throw new SseLimitException($"an event of the seller's stream passed {MaxEventBytes} bytes without ending");
        }

        if (needed > _pending.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, 4096));
            _pending.AsSpan(0, _pendingLength).CopyTo(bigger);
            Return();
            _pending = bigger;
        }

        rest.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += rest.Length;
    }

    private void Return()
    {
        if (_pending.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_pending);
        }
    }

    public void Dispose()
    {
        Return();
        _pending = [];
        _pendingLength = 0;
    }
}

/// <summary>A seller's stream broke one of the relay's limits; the attempt ends with what was delivered.</summary>
public sealed class SseLimitException(string message) : Exception(message);
