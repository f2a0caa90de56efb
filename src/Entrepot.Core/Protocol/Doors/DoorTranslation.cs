using System.Buffers;
using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// One request through a door that is not chat completions: the request as the chat completions
/// body a seller is sent, and the way back for its answer, whole or streamed, and for errors, in the
/// door's own shape. Made per request by the door's reader (<see cref="ResponsesDoor"/>,
/// <see cref="MessagesDoor"/>); it holds what the answer must echo of the request.
/// </summary>
public abstract class DoorTranslation
{
    /// <summary>The request as chat completions (a stream asks for the usage chunk: every door reports usage).</summary>
    public required byte[] ChatBody { get; init; }

    public required string Model { get; init; }

    /// <summary>A 2xx chat completion as the door's answer.</summary>
    public abstract byte[] Answer(ReadOnlySpan<byte> chat);

    /// <summary>A fresh translator for the answer's event stream.</summary>
    public abstract DoorStream Stream();

    /// <summary>An error body in the door's shape.</summary>
    public abstract byte[] Error(int status, string message, string type, string? param, string? code);

    /// <summary>A seller's error answer (OpenAI-shaped, or anything) in the door's shape, keeping its message.</summary>
    public byte[] SellerError(int status, ReadOnlySpan<byte> body)
    {
        string message = $"The seller answered {status}.", type = "invalid_request_error";
        string? param = null, code = null;
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                message = ChatAnswer.Str(e, "message") ?? message;
                type = ChatAnswer.Str(e, "type") ?? type;
                param = ChatAnswer.Str(e, "param");
                code = ChatAnswer.Str(e, "code");
            }
        }
        catch (JsonException)
        {
        }

        return Error(status, message, type, param, code);
    }
}

/// <summary>
/// Turns a chat completions event stream into a door's events as it arrives: <see cref="Start"/>
/// before the first byte, <see cref="Push"/> with the relayed chat events, then <see cref="Complete"/>
/// when the stream ended well or <see cref="Fail"/> when it was cut off.
/// </summary>
public abstract class DoorStream : IDisposable
{
    private readonly ChatEvents _events = new();
    private bool _ended;

    /// <summary>The seller's finish reason and usage, as the chunks so far said them.</summary>
    protected string? FinishReason { get; private set; }
    protected ChatUsage? Usage { get; private set; }

    public abstract void Start(IBufferWriter<byte> output);

    public void Push(ReadOnlySpan<byte> chatEvents, IBufferWriter<byte> output) => _events.Push(chatEvents, chunk => Read(chunk, output));

    /// <summary>Ends the stream as the door ends one that finished.</summary>
    public void Complete(IBufferWriter<byte> output)
    {
        _events.Complete(chunk => Read(chunk, output));
        if (!_ended)
        {
            _ended = true;
            Finish(output);
        }
    }

    /// <summary>Ends the stream with the door's error event: what arrived before stays delivered.</summary>
    public void Fail(string message, IBufferWriter<byte> output)
    {
        if (!_ended)
        {
            _ended = true;
            Failed(message, output);
        }
    }

    private void Read(JsonElement chunk, IBufferWriter<byte> output)
    {
        var delta = ChatDelta.Of(chunk);
        OnDelta(delta, output);
        FinishReason = delta.FinishReason ?? FinishReason;
        Usage = delta.Usage ?? Usage;
    }

    /// <summary>Writes the door's events for one chunk's text, refusal and tool call pieces.</summary>
    protected abstract void OnDelta(ChatDelta delta, IBufferWriter<byte> output);

    protected abstract void Finish(IBufferWriter<byte> output);

    protected abstract void Failed(string message, IBufferWriter<byte> output);

    private Utf8JsonWriter? _writer;

    public void Dispose()
    {
        _writer?.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Writes one named event: <c>event: name</c>, then its JSON as the data line.</summary>
    protected void WriteEvent(IBufferWriter<byte> output, string name, Action<Utf8JsonWriter> body)
    {
        output.Write("event: "u8);
        System.Text.Unicode.Utf8.FromUtf16(name, output.GetSpan(name.Length * 3), out _, out var n);
        output.Advance(n);
        output.Write("\ndata: "u8);
        // One writer for the stream, pointed at the output for each event.
        if (_writer is null)
        {
            _writer = new Utf8JsonWriter(output);
        }
        else
        {
            _writer.Reset(output);
        }

        body(_writer);
        _writer.Flush();
        output.Write("\n\n"u8);
    }
}
