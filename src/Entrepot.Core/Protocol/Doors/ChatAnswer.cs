using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>One tool call of a chat answer: the seller's call id, the function and its JSON arguments.</summary>
public sealed record ChatToolCall(string Id, string Name, string Arguments);

/// <summary>Token counts a chat answer reports, with the cached part of the input and the reasoning
/// part of the output.</summary>
public readonly record struct ChatUsage(long Prompt, long Completion, long Cached, long Reasoning)
{
    /// <summary>The usage object of a chat answer or chunk, if it has one with counts.</summary>
    public static ChatUsage? Of(JsonElement root)
    {
        if (!root.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        return new ChatUsage(Long(u, "prompt_tokens"), Long(u, "completion_tokens"),
            u.TryGetProperty("prompt_tokens_details", out var p) && p.ValueKind == JsonValueKind.Object ? Long(p, "cached_tokens") : 0,
            u.TryGetProperty("completion_tokens_details", out var c) && c.ValueKind == JsonValueKind.Object ? Long(c, "reasoning_tokens") : 0);
    }

    private static long Long(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : 0;
}

/// <summary>
/// What a door needs of a whole chat completion: the first choice's text, refusal and tool calls,
/// why it stopped, and the usage. Only the first choice crosses a door (Responses and Messages
/// answer with one).
/// </summary>
public sealed class ChatAnswer
{
    public string? Id { get; private init; }
    public string? Model { get; private init; }
    public long Created { get; private init; }
    public string Text { get; private init; } = "";
    public string? Refusal { get; private init; }
    public IReadOnlyList<ChatToolCall> ToolCalls { get; private init; } = [];
    public string? FinishReason { get; private init; }
    public ChatUsage? Usage { get; private init; }

    /// <summary>Reads a chat completion; null when the body is not one.</summary>
    public static ChatAnswer? Read(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            string text = "";
            string? refusal = null, finish = null;
            var calls = new List<ChatToolCall>();
            if (choices.GetArrayLength() > 0 && choices[0] is { ValueKind: JsonValueKind.Object } choice)
            {
                finish = Str(choice, "finish_reason");
                if (choice.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object)
                {
                    text = ContentText(m);
                    refusal = Str(m, "refusal");
                    if (m.TryGetProperty("tool_calls", out var tc) && tc.ValueKind == JsonValueKind.Array)
                    {
                        var i = 0;
                        foreach (var call in tc.EnumerateArray())
                        {
                            if (call.ValueKind == JsonValueKind.Object && call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object)
                            {
                                calls.Add(new ChatToolCall(Str(call, "id") ?? "call_" + i, Str(f, "name") ?? "", Str(f, "arguments") ?? ""));
                            }

                            i++;
                        }
                    }
                    else if (m.TryGetProperty("function_call", out var fc) && fc.ValueKind == JsonValueKind.Object)
                    {
                        calls.Add(new ChatToolCall("call_0", Str(fc, "name") ?? "", Str(fc, "arguments") ?? ""));
                    }
                }
                else
                {
                    text = Str(choice, "text") ?? "";
                }
            }

            return new ChatAnswer
            {
                Id = Str(root, "id"),
                Model = Str(root, "model"),
                Created = root.TryGetProperty("created", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt64(out var t) ? t : 0,
                Text = text,
                Refusal = refusal,
                ToolCalls = calls,
                FinishReason = finish,
                Usage = ChatUsage.Of(root),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A message's content: a string, or its text parts joined.</summary>
    internal static string ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var sb = new System.Text.StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && Str(part, "text") is { } t)
            {
                sb.Append(t);
            }
        }

        return sb.ToString();
    }

    internal static string? Str(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
