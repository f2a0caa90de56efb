using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// The way back for one Messages request: a chat completion becomes a <c>message</c> (a text block,
/// then a <c>tool_use</c> block per call with its arguments as the input object), and a chat stream
/// becomes Anthropic's named events; errors take Anthropic's shape.
/// </summary>
public sealed class MessagesTranslation(JsonArray? stopSequences) : DoorTranslation
{
    private readonly string _id = "msg_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));

    internal string MessageId => _id;

    /// <summary>Whether the buyer named stop sequences (a chat answer cannot say which one matched).</summary>
    internal bool HasStopSequences => stopSequences is { Count: > 0 };

    public override byte[] Answer(ReadOnlySpan<byte> chat)
    {
        var answer = ChatAnswer.Read(chat);
        if (answer is null)
        {
            return Error(502, "The seller's answer was not a chat completion.", "api_error", null, null);
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", _id);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", Model);
            w.WriteStartArray("content");
            var text = answer.Refusal is { Length: > 0 } r && answer.Text.Length == 0 ? r : answer.Text;
            if (text.Length > 0)
            {
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", text);
                w.WriteEndObject();
            }

            foreach (var call in answer.ToolCalls)
            {
                w.WriteStartObject();
                w.WriteString("type", "tool_use");
                w.WriteString("id", call.Id);
                w.WriteString("name", call.Name);
                w.WritePropertyName("input");
                WriteInput(w, call.Arguments);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("stop_reason", StopReason(answer.FinishReason, answer.ToolCalls.Count > 0, answer.Refusal is not null));
            w.WriteNull("stop_sequence");
            WriteUsage(w, answer.Usage ?? new ChatUsage(0, 0, 0, 0), withInput: true);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public override DoorStream Stream() => new MessagesStream(this);

    public override byte[] Error(int status, string message, string type, string? param, string? code) => AnthropicError.ToBytes(status, message);

    internal static string StopReason(string? finish, bool calledTools, bool refused) => finish switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ when calledTools => "tool_use",
        _ when refused => "refusal",
        _ => "end_turn",
    };

    /// <summary>Anthropic's usage: its input_tokens leave out what was read from cache.</summary>
    internal static void WriteUsage(Utf8JsonWriter w, ChatUsage u, bool withInput)
    {
        w.WriteStartObject("usage");
        if (withInput)
        {
            w.WriteNumber("input_tokens", Math.Max(0, u.Prompt - u.Cached));
            w.WriteNumber("cache_creation_input_tokens", 0);
            w.WriteNumber("cache_read_input_tokens", u.Cached);
        }

        w.WriteNumber("output_tokens", u.Completion);
        w.WriteEndObject();
    }

    /// <summary>A call's arguments as the tool_use input object; arguments that are not a JSON object
    /// (a seller's malformed call) are kept whole as <c>{"arguments": text}</c>.</summary>
    internal static void WriteInput(Utf8JsonWriter w, string arguments)
    {
        try
        {
            if (JsonNode.Parse(arguments) is JsonObject input)
            {
                input.WriteTo(w);
                return;
            }
        }
        catch (JsonException)
        {
        }

        w.WriteStartObject();
        w.WriteString("arguments", arguments);
        w.WriteEndObject();
    }
}

/// <summary>
/// Chat stream chunks as Messages events: <c>message_start</c>, a text block and a tool_use block
/// per call (<c>content_block_start</c>, <c>text_delta</c> or <c>input_json_delta</c>s,
/// <c>content_block_stop</c>), then <c>message_delta</c> with the stop reason and usage, and
/// <c>message_stop</c>. Input tokens are known only at the end of a chat stream: they go in
/// <c>message_delta</c>, whose usage Anthropic's SDKs take as the final count.
/// </summary>
internal sealed class MessagesStream(MessagesTranslation message) : DoorStream
{
    private int _blocks;
    private int _openBlock = -1;
    private bool _openIsText;
    private readonly Dictionary<int, int> _callBlocks = [];
    private bool _calledTools, _refused;

    public override void Start(IBufferWriter<byte> output) =>
        WriteEvent(output, "message_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_start");
            w.WriteStartObject("message");
            w.WriteString("id", message.MessageId);
            w.WriteString("type", "message");
            w.WriteString("role", "assistant");
            w.WriteString("model", message.Model);
            w.WriteStartArray("content");
            w.WriteEndArray();
            w.WriteNull("stop_reason");
            w.WriteNull("stop_sequence");
            MessagesTranslation.WriteUsage(w, new ChatUsage(0, 0, 0, 0), withInput: true);
            w.WriteEndObject();
            w.WriteEndObject();
        });

    protected override void OnDelta(ChatDelta d, IBufferWriter<byte> output)
    {
        var text = d.Text is { Length: > 0 } t ? t : d.Refusal is { Length: > 0 } r ? r : null;
        _refused |= d.Refusal is { Length: > 0 };
        if (text is not null)
        {
            if (!(_openBlock >= 0 && _openIsText))
            {
                StartBlock(output, isText: true, null, null);
            }

            var index = _openBlock;
            Delta(output, index, w =>
            {
                w.WriteString("type", "text_delta");
                w.WriteString("text", text);
            });
        }

        foreach (var call in d.ToolCalls)
        {
            _calledTools = true;
            if (!_callBlocks.TryGetValue(call.Index, out var index))
            {
                StartBlock(output, isText: false, call.Id ?? $"toolu_{message.MessageId[4..]}_{call.Index}", call.Name ?? "");
                index = _openBlock;
                _callBlocks[call.Index] = index;
            }

            if (call.Arguments is { Length: > 0 } args)
            {
                Delta(output, index, w =>
                {
                    w.WriteString("type", "input_json_delta");
                    w.WriteString("partial_json", args);
                });
            }
        }
    }

    protected override void Finish(IBufferWriter<byte> output)
    {
        StopBlock(output);
        var stop = MessagesTranslation.StopReason(FinishReason, _calledTools, _refused);
        var usage = Usage ?? new ChatUsage(0, 0, 0, 0);
        WriteEvent(output, "message_delta", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_delta");
            w.WriteStartObject("delta");
            w.WriteString("stop_reason", stop);
            w.WriteNull("stop_sequence");
            w.WriteEndObject();
            MessagesTranslation.WriteUsage(w, usage, withInput: true);
            w.WriteEndObject();
        });
        WriteEvent(output, "message_stop", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "message_stop");
            w.WriteEndObject();
        });
    }

    protected override void Failed(string message, IBufferWriter<byte> output) =>
        WriteEvent(output, "error", w => AnthropicError.Write(w, 500, message));

    private void StartBlock(IBufferWriter<byte> output, bool isText, string? id, string? name)
    {
        StopBlock(output);
        var index = _blocks++;
        _openBlock = index;
        _openIsText = isText;
        WriteEvent(output, "content_block_start", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_start");
            w.WriteNumber("index", index);
            w.WriteStartObject("content_block");
            if (isText)
            {
                w.WriteString("type", "text");
                w.WriteString("text", "");
            }
            else
            {
                w.WriteString("type", "tool_use");
                w.WriteString("id", id);
                w.WriteString("name", name);
                w.WriteStartObject("input");
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        });
    }

    private void StopBlock(IBufferWriter<byte> output)
    {
        if (_openBlock < 0)
        {
            return;
        }

        var index = _openBlock;
        _openBlock = -1;
        WriteEvent(output, "content_block_stop", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_stop");
            w.WriteNumber("index", index);
            w.WriteEndObject();
        });
    }

    private void Delta(IBufferWriter<byte> output, int index, Action<Utf8JsonWriter> delta)
    {
        WriteEvent(output, "content_block_delta", w =>
        {
            w.WriteStartObject();
            w.WriteString("type", "content_block_delta");
            w.WriteNumber("index", index);
            w.WriteStartObject("delta");
            delta(w);
            w.WriteEndObject();
            w.WriteEndObject();
        });
    }
}
