using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Border.Redaction;

/// <summary>
/// Restores placeholders in a seller's answer: a whole JSON response, or a server-sent event
/// stream event by event, with a <see cref="PlaceholderRestorer"/> per choice so a placeholder split
/// across events is still restored; the held tail of a choice is released with its finish_reason.
/// </summary>
public sealed class AnswerRestorer(IReadOnlyDictionary<string, string> mapping)
{
    private readonly Dictionary<int, PlaceholderRestorer> _choices = new();
    private readonly List<byte> _pending = [];

    /// <summary>The most it holds back waiting for an event's end (<see cref="Protocol.SseLimitException"/> beyond).</summary>
    public int MaxHeldBytes { get; init; } = Protocol.SseRelay.DefaultMaxEventBytes;

    public int Restored => _choices.Values.Sum(r => r.Restored);

    /// <summary>A non-streaming response body; returned unchanged if it is not a JSON object.</summary>
    public byte[] RestoreWhole(ReadOnlySpan<byte> body)
    {
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(body) as JsonObject;
        }
        catch (JsonException)
        {
            return body.ToArray();
        }

        if (root?["choices"] is not JsonArray choices)
        {
            return body.ToArray();
        }

        foreach (var c in choices)
        {
            if (c is not JsonObject co)
            {
                continue;
            }

            var r = Choice(co);
            if (co["message"] is JsonObject msg && msg["content"] is JsonValue mc && mc.GetValueKind() == JsonValueKind.String)
            {
                msg["content"] = r.Restore(mc.GetValue<string>());
            }

            if (co["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String)
            {
                co["text"] = r.Restore(t.GetValue<string>());
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(root, RedactionJsonContext.Default.JsonObject);
    }

    /// <summary>Takes stream bytes as they arrive and returns the restored events completed so far.</summary>
    public byte[] PushStream(ReadOnlySpan<byte> chunk)
    {
        foreach (var b in chunk)
        {
            _pending.Add(b);
        }

        var output = new List<byte>();
        while (true)
        {
            int end = EventEnd();
            if (end < 0)
            {
                break;
            }

            var ev = _pending.GetRange(0, end).ToArray();
            _pending.RemoveRange(0, end);
            output.AddRange(RestoreEvent(ev));
        }

        if (_pending.Count > MaxHeldBytes)
        {
            throw new Protocol.SseLimitException($"the seller's stream held back more than {MaxHeldBytes} bytes for restoring without an event ending");
        }

        return [.. output];
    }

    /// <summary>What is left at the end of the stream.</summary>
    public byte[] CompleteStream()
    {
        var rest = _pending.ToArray();
        _pending.Clear();
        return rest.Length == 0 ? [] : RestoreEvent(rest);
    }

    private int EventEnd()
    {
        for (int i = 0; i + 1 < _pending.Count; i++)
        {
            if (_pending[i] == '\n' && _pending[i + 1] == '\n')
            {
                return i + 2;
            }

            if (_pending[i] == '\r' && i + 3 < _pending.Count && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n')
            {
                return i + 4;
            }
        }

        return -1;
    }

    private byte[] RestoreEvent(byte[] ev)
    {
        var text = Encoding.UTF8.GetString(ev);
        var trimmed = text.TrimEnd('\r', '\n');
        if (!trimmed.StartsWith("data:", StringComparison.Ordinal) || trimmed.Contains('\n', StringComparison.Ordinal))
        {
            return ev;
        }

        var payload = trimmed[5..].TrimStart();
        if (payload == "[DONE]")
        {
            return ev;
        }

        JsonObject? root;
        try
        {
            root = JsonNode.Parse(payload) as JsonObject;
        }
        catch (JsonException)
        {
            return ev;
        }

        if (root?["choices"] is not JsonArray choices || choices.Count == 0)
        {
            return ev;
        }

        foreach (var c in choices)
        {
            if (c is not JsonObject co)
            {
                continue;
            }

            var r = Choice(co);
            bool finished = co["finish_reason"] is JsonValue fr && fr.GetValueKind() == JsonValueKind.String;
            if (co["delta"] is JsonObject delta)
            {
                var piece = delta["content"] is JsonValue dc && dc.GetValueKind() == JsonValueKind.String ? dc.GetValue<string>() : null;
                var emitted = (piece is null ? "" : r.Push(piece)) + (finished ? r.Flush() : "");
                if (piece is not null || emitted.Length > 0)
                {
                    delta["content"] = emitted;
                }
            }
            else if (co["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String)
            {
                co["text"] = r.Push(t.GetValue<string>()) + (finished ? r.Flush() : "");
            }
        }

        var json = JsonSerializer.Serialize(root, RedactionJsonContext.Default.JsonObject);
        return Encoding.UTF8.GetBytes("data: " + json + "\n\n");
    }

    private PlaceholderRestorer Choice(JsonObject choice)
    {
        int index = choice["index"] is JsonValue iv && iv.TryGetValue<int>(out var i) ? i : 0;
        if (!_choices.TryGetValue(index, out var r))
        {
            r = new PlaceholderRestorer(mapping);
            _choices[index] = r;
        }

        return r;
    }
}
