using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// The way back for one Responses request: a chat completion becomes a <c>response</c> object
/// (text as a message item, each tool call a <c>function_call</c> item, usage renamed), and a chat
/// stream becomes the typed events, numbered from 0, with no <c>[DONE]</c>. The request's own
/// settings are echoed as the API does.
/// </summary>
public sealed class ResponsesTranslation(JsonObject request) : DoorTranslation
{
    private readonly string _id = "resp_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public string ResponseId => _id;

    public override byte[] Answer(ReadOnlySpan<byte> chat)
    {
        var answer = ChatAnswer.Read(chat);
        if (answer is null)
        {
            return Error(502, "The seller's answer was not a chat completion.", "api_error", null, "bad_seller_answer");
        }

        var output = new List<OutputItem>();
        if (answer.Text.Length > 0 || answer.Refusal is not null || answer.ToolCalls.Count == 0)
        {
            output.Add(OutputItem.Message("msg_" + _id[5..], answer.Text, answer.Refusal));
        }

        for (var i = 0; i < answer.ToolCalls.Count; i++)
        {
            var c = answer.ToolCalls[i];
            output.Add(OutputItem.Call($"fc_{_id[5..]}_{i}", c.Id, c.Name, c.Arguments));
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteResponse(w, Status(answer.FinishReason), answer.FinishReason, output, answer.Usage ?? new ChatUsage(0, 0, 0, 0));
        }

        return buffer.WrittenSpan.ToArray();
    }

    public override DoorStream Stream() => new ResponsesStream(this);

    public override byte[] Error(int status, string message, string type, string? param, string? code) => OpenAIError.ToBytes(message, type, param, code);

    private static string Status(string? finish) => finish is "length" or "content_filter" ? "incomplete" : "completed";

    /// <summary>Writes the response object; <paramref name="usage"/> null while in progress.</summary>
    internal void WriteResponse(Utf8JsonWriter w, string status, string? finish, IReadOnlyList<OutputItem> output, ChatUsage? usage, string? failure = null)
    {
        w.WriteStartObject();
        w.WriteString("id", _id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", _created);
        w.WriteString("status", status);
        if (failure is null)
        {
            w.WriteNull("error");
        }
        else
        {
            w.WriteStartObject("error");
            w.WriteString("code", "server_error");
            w.WriteString("message", failure);
            w.WriteEndObject();
        }

        if (status == "incomplete")
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", finish == "length" ? "max_output_tokens" : "content_filter");
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("incomplete_details");
        }

        Echo(w, "instructions", request["instructions"], Null);
        Echo(w, "max_output_tokens", request["max_output_tokens"], Null);
        w.WriteString("model", Model);
        w.WriteStartArray("output");
        foreach (var item in output)
        {
            item.Write(w, status == "in_progress" ? "in_progress" : "completed");
        }

        w.WriteEndArray();
        Echo(w, "parallel_tool_calls", request["parallel_tool_calls"], static w => w.WriteBooleanValue(true));
        w.WriteNull("previous_response_id");
        w.WriteBoolean("store", false);
        Echo(w, "temperature", request["temperature"], One);
        Echo(w, "text", request["text"] is JsonObject text && text["format"] is JsonObject ? text : null, static w =>
        {
            w.WriteStartObject();
            w.WriteStartObject("format");
            w.WriteString("type", "text");
            w.WriteEndObject();
            w.WriteEndObject();
        });
        Echo(w, "tool_choice", request["tool_choice"], static w => w.WriteStringValue("auto"));
        Echo(w, "tools", request["tools"] as JsonArray, static w =>
        {
            w.WriteStartArray();
            w.WriteEndArray();
        });
        Echo(w, "top_p", request["top_p"], One);
        w.WriteString("truncation", "disabled");
        if (usage is { } u)
        {
            w.WriteStartObject("usage");
            w.WriteNumber("input_tokens", u.Prompt);
            w.WriteStartObject("input_tokens_details");
            w.WriteNumber("cached_tokens", u.Cached);
            w.WriteEndObject();
            w.WriteNumber("output_tokens", u.Completion);
            w.WriteStartObject("output_tokens_details");
            w.WriteNumber("reasoning_tokens", u.Reasoning);
            w.WriteEndObject();
            w.WriteNumber("total_tokens", u.Prompt + u.Completion);
            w.WriteEndObject();
        }
        else
        {
            w.WriteNull("usage");
        }

        Echo(w, "user", request["user"], Null);
        Echo(w, "metadata", request["metadata"] as JsonObject, static w =>
        {
            w.WriteStartObject();
            w.WriteEndObject();
        });

        w.WriteEndObject();
    }

    private static readonly Action<Utf8JsonWriter> Null = static w => w.WriteNullValue();
    private static readonly Action<Utf8JsonWriter> One = static w => w.WriteNumberValue(1.0);

    /// <summary>A setting of the request as the response echoes it: as the buyer gave it, else the API's default.</summary>
    private static void Echo(Utf8JsonWriter w, string name, JsonNode? given, Action<Utf8JsonWriter> otherwise)
    {
        w.WritePropertyName(name);
        if (given is not null)
        {
            given.WriteTo(w);
        }
        else
        {
            otherwise(w);
        }
    }
}

/// <summary>One item of a response's output: a message (text, or a refusal) or a function call.</summary>
internal sealed class OutputItem
{
    public required string Id { get; init; }
    public bool IsCall { get; private init; }
    public System.Text.StringBuilder Text { get; } = new();
    public string? Refusal { get; set; }
    public string CallId { get; set; } = "";
    public string Name { get; set; } = "";

    public static OutputItem Message(string id, string text, string? refusal)
    {
        var item = new OutputItem { Id = id, Refusal = refusal };
        item.Text.Append(text);
        return item;
    }

    public static OutputItem Call(string id, string callId, string name, string arguments)
    {
        var item = new OutputItem { Id = id, IsCall = true, CallId = callId, Name = name };
        item.Text.Append(arguments);
        return item;
    }

    public void Write(Utf8JsonWriter w, string status, bool empty = false)
    {
        w.WriteStartObject();
        w.WriteString("id", Id);
        if (IsCall)
        {
            w.WriteString("type", "function_call");
            w.WriteString("status", status);
            w.WriteString("arguments", empty ? "" : Text.ToString());
            w.WriteString("call_id", CallId);
            w.WriteString("name", Name);
        }
        else
        {
            w.WriteString("type", "message");
            w.WriteString("status", status);
            w.WriteString("role", "assistant");
            w.WriteStartArray("content");
            if (!empty)
            {
                if (Refusal is not null)
                {
                    WriteRefusal(w, Refusal);
                }
                else
                {
                    WriteText(w, Text.ToString());
                }
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void WriteText(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "output_text");
        w.WriteStartArray("annotations");
        w.WriteEndArray();
        w.WriteStartArray("logprobs");
        w.WriteEndArray();
        w.WriteString("text", text);
        w.WriteEndObject();
    }

    public static void WriteRefusal(Utf8JsonWriter w, string refusal)
    {
        w.WriteStartObject();
        w.WriteString("type", "refusal");
        w.WriteString("refusal", refusal);
        w.WriteEndObject();
    }
}
