using System.Buffers;
using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// Chat stream chunks as Responses events: <c>response.created</c> and <c>response.in_progress</c>
/// first; a message item opened at the first text (<c>output_item.added</c>,
/// <c>content_part.added</c>, then <c>output_text.delta</c>s); a <c>function_call</c> item per tool
/// call index with <c>function_call_arguments.delta</c>s; every item closed with its
/// <c>.done</c> events at the end, then <c>response.completed</c> (or <c>response.incomplete</c>
/// when the seller stopped at the token limit) with the whole output and the usage.
/// </summary>
internal sealed class ResponsesStream(ResponsesTranslation response) : DoorStream
{
    private readonly List<OutputItem> _output = [];
    private readonly Dictionary<int, (OutputItem Item, int Index)> _calls = [];
    private readonly HashSet<OutputItem> _closed = [];
    private (OutputItem Item, int Index)? _message;
    private long _sequence;

    public override void Start(IBufferWriter<byte> output)
    {
        foreach (var name in new[] { "response.created", "response.in_progress" })
        {
            Event(output, name, w =>
            {
                w.WritePropertyName("response");
                response.WriteResponse(w, "in_progress", null, [], null);
            });
        }
    }

    protected override void OnDelta(ChatDelta d, IBufferWriter<byte> output)
    {
        if (d.Text is { Length: > 0 } text)
        {
            var (item, index) = OpenMessage(output, refusal: false);
            item.Text.Append(text);
            Event(output, "response.output_text.delta", w =>
            {
                Place(w, item, index, content: true);
                w.WriteString("delta", text);
                w.WriteStartArray("logprobs");
                w.WriteEndArray();
            });
        }

        if (d.Refusal is { Length: > 0 } refusal)
        {
            var (item, index) = OpenMessage(output, refusal: true);
            item.Refusal += refusal;
            Event(output, "response.refusal.delta", w =>
            {
                Place(w, item, index, content: true);
                w.WriteString("delta", refusal);
            });
        }

        foreach (var call in d.ToolCalls)
        {
            if (!_calls.TryGetValue(call.Index, out var open))
            {
                CloseMessage(output);
                var item = OutputItem.Call($"fc_{response.ResponseId[5..]}_{call.Index}", call.Id ?? $"call_{response.ResponseId[5..]}_{call.Index}", call.Name ?? "", "");
                open = (item, _output.Count);
                _output.Add(item);
                _calls[call.Index] = open;
                var added = open;
                Event(output, "response.output_item.added", w =>
                {
                    w.WriteNumber("output_index", added.Index);
                    w.WritePropertyName("item");
                    added.Item.Write(w, "in_progress", empty: true);
                });
            }

            if (call.Arguments is { Length: > 0 } args)
            {
                open.Item.Text.Append(args);
                var at = open;
                Event(output, "response.function_call_arguments.delta", w =>
                {
                    Place(w, at.Item, at.Index, content: false);
                    w.WriteString("delta", args);
                });
            }
        }
    }

    protected override void Finish(IBufferWriter<byte> output)
    {
        CloseAll(output);
        var status = FinishReason is "length" or "content_filter" ? "incomplete" : "completed";
        Event(output, "response." + status, w =>
        {
            w.WritePropertyName("response");
            response.WriteResponse(w, status, FinishReason, _output, Usage ?? new ChatUsage(0, 0, 0, 0));
        });
    }

    protected override void Failed(string message, IBufferWriter<byte> output) =>
        Event(output, "response.failed", w =>
        {
            w.WritePropertyName("response");
            response.WriteResponse(w, "failed", FinishReason, _output, Usage, message);
        });

    private (OutputItem Item, int Index) OpenMessage(IBufferWriter<byte> output, bool refusal)
    {
        if (_message is { } open && !_closed.Contains(open.Item))
        {
            return open;
        }

        var item = OutputItem.Message($"msg_{response.ResponseId[5..]}_{_output.Count}", "", refusal ? "" : null);
        var index = _output.Count;
        _output.Add(item);
        _message = (item, index);
        Event(output, "response.output_item.added", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            item.Write(w, "in_progress", empty: true);
        });
        Event(output, "response.content_part.added", w =>
        {
            Place(w, item, index, content: true);
            w.WritePropertyName("part");
            if (refusal)
            {
                OutputItem.WriteRefusal(w, "");
            }
            else
            {
                OutputItem.WriteText(w, "");
            }
        });
        return (item, index);
    }

    private void CloseMessage(IBufferWriter<byte> output)
    {
        if (_message is not { } open || !_closed.Add(open.Item))
        {
            return;
        }

        var (item, index) = open;
        if (item.Refusal is { } refusal)
        {
            Event(output, "response.refusal.done", w =>
            {
                Place(w, item, index, content: true);
                w.WriteString("refusal", refusal);
            });
        }
        else
        {
            var text = item.Text.ToString();
            Event(output, "response.output_text.done", w =>
            {
                Place(w, item, index, content: true);
                w.WriteString("text", text);
                w.WriteStartArray("logprobs");
                w.WriteEndArray();
            });
        }

        Event(output, "response.content_part.done", w =>
        {
            Place(w, item, index, content: true);
            w.WritePropertyName("part");
            if (item.Refusal is { } r)
            {
                OutputItem.WriteRefusal(w, r);
            }
            else
            {
                OutputItem.WriteText(w, item.Text.ToString());
            }
        });
        ItemDone(output, item, index);
    }

    private void CloseAll(IBufferWriter<byte> output)
    {
        if (_output.Count == 0)
        {
            // A stream with nothing in it still answers with an (empty) message, as a whole answer does.
            OpenMessage(output, refusal: false);
        }

        CloseMessage(output);
        foreach (var (item, index) in _calls.Values.OrderBy(c => c.Index))
        {
            if (!_closed.Add(item))
            {
                continue;
            }

            var arguments = item.Text.ToString();
            Event(output, "response.function_call_arguments.done", w =>
            {
                Place(w, item, index, content: false);
                w.WriteString("name", item.Name);
                w.WriteString("arguments", arguments);
            });
            ItemDone(output, item, index);
        }
    }

    private void ItemDone(IBufferWriter<byte> output, OutputItem item, int index) =>
        Event(output, "response.output_item.done", w =>
        {
            w.WriteNumber("output_index", index);
            w.WritePropertyName("item");
            item.Write(w, "completed");
        });

    private static void Place(Utf8JsonWriter w, OutputItem item, int index, bool content)
    {
        w.WriteString("item_id", item.Id);
        w.WriteNumber("output_index", index);
        if (content)
        {
            w.WriteNumber("content_index", 0);
        }
    }

    private void Event(IBufferWriter<byte> output, string type, Action<Utf8JsonWriter> fields)
    {
        var sequence = _sequence++;
        WriteEvent(output, type, w =>
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WriteNumber("sequence_number", sequence);
            fields(w);
            w.WriteEndObject();
        });
    }
}
