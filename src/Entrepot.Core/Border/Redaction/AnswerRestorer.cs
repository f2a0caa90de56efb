using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Border.Redaction;

/// <summary>
/// Restores placeholders in a seller's answer: a whole JSON response, or a server-sent event
/// stream event by event. Every text of a choice that can carry them is restored: the content, a
/// refusal, and the arguments of tool calls and legacy function calls (which are JSON text, so the
/// originals go back JSON-escaped). Each such text of each choice has a
/// <see cref="PlaceholderRestorer"/> of its own, so a placeholder split across events is still
/// restored; what a choice holds back is released with its finish_reason.
/// </summary>
public sealed class AnswerRestorer(IReadOnlyDictionary<string, string> mapping)
{
    // Slots of a choice: its content, its refusal, a legacy function call's arguments, and tool call i at ToolSlot + i.
    private const int ContentSlot = 0, RefusalSlot = 1, FunctionSlot = 2, ToolSlot = 3;

    private readonly Dictionary<(int Choice, int Slot), PlaceholderRestorer> _restorers = new();
    private readonly List<byte> _pending = [];
    // The originals JSON-escaped, for call arguments; built when an answer first has one.
    private Dictionary<string, string>? _escaped;

    /// <summary>The most it holds back waiting for an event's end (<see cref="Protocol.SseLimitException"/> beyond).</summary>
    public int MaxHeldBytes { get; init; } = Protocol.SseRelay.DefaultMaxEventBytes;

    public int Restored => _restorers.Values.Sum(r => r.Restored);

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

            var index = Index(co);
            if (co["message"] is JsonObject msg)
            {
                RestoreWholeText(msg, "content", index, ContentSlot);
                RestoreWholeText(msg, "refusal", index, RefusalSlot);
                if (msg["function_call"] is JsonObject fc)
                {
                    RestoreWholeText(fc, "arguments", index, FunctionSlot);
                }

                if (msg["tool_calls"] is JsonArray calls)
                {
                    for (var i = 0; i < calls.Count; i++)
                    {
                        if (calls[i] is JsonObject call && (call["function"] ?? call["custom"]) is JsonObject f)
                        {
                            RestoreWholeText(f, f.ContainsKey("input") ? "input" : "arguments", index, ToolSlot + i);
                        }
                    }
                }
            }

            RestoreWholeText(co, "text", index, ContentSlot);
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

            var index = Index(co);
            bool finished = co["finish_reason"] is JsonValue fr && fr.GetValueKind() == JsonValueKind.String;
            if (co["delta"] is JsonObject delta)
            {
                PushText(delta, "content", index, ContentSlot, finished);
                PushText(delta, "refusal", index, RefusalSlot, finished);
                if (delta["function_call"] is JsonObject fc)
                {
                    PushText(fc, "arguments", index, FunctionSlot, finished: false);
                }

                if (delta["tool_calls"] is JsonArray calls)
                {
                    foreach (var call in calls)
                    {
                        if (call is JsonObject co2 && co2["function"] is JsonObject f)
                        {
                            var tool = co2["index"] is JsonValue tv && tv.TryGetValue<int>(out var ti) ? ti : 0;
                            PushText(f, "arguments", index, ToolSlot + tool, finished: false);
                        }
                    }
                }

                if (finished)
                {
                    FlushCalls(delta, index);
                }
            }
            else if (co["text"] is JsonValue t && t.GetValueKind() == JsonValueKind.String)
            {
                PushText(co, "text", index, ContentSlot, finished);
            }
        }

        var json = JsonSerializer.Serialize(root, RedactionJsonContext.Default.JsonObject);
        return Encoding.UTF8.GetBytes("data: " + json + "\n\n");
    }

    private static int Index(JsonObject choice) => choice["index"] is JsonValue iv && iv.TryGetValue<int>(out var i) ? i : 0;

    /// <summary>The restorer of one text of one choice; arguments are JSON text and get escaped originals.</summary>
    private PlaceholderRestorer Restorer(int choice, int slot)
    {
        if (!_restorers.TryGetValue((choice, slot), out var r))
        {
            r = new PlaceholderRestorer(slot < FunctionSlot ? mapping : _escaped ??= mapping.ToDictionary(kv => kv.Key,
                kv => JsonEncodedText.Encode(kv.Value, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).Value, StringComparer.Ordinal));
            _restorers[(choice, slot)] = r;
        }

        return r;
    }

    private void RestoreWholeText(JsonObject owner, string name, int choice, int slot)
    {
        if (owner[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            owner[name] = Restorer(choice, slot).Restore(v.GetValue<string>());
        }
    }

    /// <summary>A stream piece of one text: what can be emitted now replaces it (with the held tail
    /// when the choice finishes).</summary>
    private void PushText(JsonObject owner, string name, int choice, int slot, bool finished)
    {
        var piece = owner[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (piece is null && !(finished && _restorers.ContainsKey((choice, slot))))
        {
            return;
        }

        var r = Restorer(choice, slot);
        var emitted = (piece is null ? "" : r.Push(piece)) + (finished ? r.Flush() : "");
        if (piece is not null || emitted.Length > 0)
        {
            owner[name] = emitted;
        }
    }

    /// <summary>At a choice's end: what its call arguments still hold goes out in the final delta.</summary>
    private void FlushCalls(JsonObject delta, int choice)
    {
        foreach (var ((c, slot), r) in _restorers)
        {
            if (c != choice || slot < FunctionSlot)
            {
                continue;
            }

            var tail = r.Flush();
            if (tail.Length == 0)
            {
                continue;
            }

            if (slot == FunctionSlot)
            {
                var fc = delta["function_call"] as JsonObject ?? [];
                fc["arguments"] = (fc["arguments"]?.GetValue<string>() ?? "") + tail;
                delta["function_call"] = fc;
                continue;
            }

            var calls = delta["tool_calls"] as JsonArray ?? [];
            delta["tool_calls"] = calls;
            var index = slot - ToolSlot;
            var call = calls.OfType<JsonObject>().FirstOrDefault(o => o["index"] is JsonValue iv && iv.TryGetValue<int>(out var i) && i == index);
            if (call is null)
            {
                call = new JsonObject { ["index"] = index, ["function"] = new JsonObject { ["arguments"] = "" } };
                calls.Add(call);
            }

            var f = call["function"] as JsonObject ?? [];
            call["function"] = f;
            f["arguments"] = (f["arguments"]?.GetValue<string>() ?? "") + tail;
        }
    }
}
