using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>One tool call's piece in a chat stream chunk: its index, and the id, name and argument text when sent.</summary>
public readonly record struct ToolCallDelta(int Index, string? Id, string? Name, string? Arguments);

/// <summary>What one chat stream chunk says of the first choice: text, refusal, tool call pieces, the finish reason, and usage.</summary>
public sealed class ChatDelta
{
    public string? Text { get; private init; }
    public string? Refusal { get; private init; }
    public IReadOnlyList<ToolCallDelta> ToolCalls { get; private init; } = [];
    public string? FinishReason { get; private init; }
    public ChatUsage? Usage { get; private init; }
    public string? Id { get; private init; }

    public static ChatDelta Of(JsonElement chunk)
    {
        string? text = null, refusal = null, finish = null;
        List<ToolCallDelta>? calls = null;
        if (chunk.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind != JsonValueKind.Object || (choice.TryGetProperty("index", out var ix) && ix.ValueKind == JsonValueKind.Number && ix.GetInt32() != 0))
                {
                    continue; // only the first choice crosses
                }

                finish = ChatAnswer.Str(choice, "finish_reason");
                if (choice.TryGetProperty("delta", out var d) && d.ValueKind == JsonValueKind.Object)
                {
                    text = ChatAnswer.Str(d, "content");
                    refusal = ChatAnswer.Str(d, "refusal");
                    if (d.TryGetProperty("tool_calls", out var tc) && tc.ValueKind == JsonValueKind.Array)
                    {
                        calls = [];
                        var position = 0;
                        foreach (var call in tc.EnumerateArray())
                        {
                            if (call.ValueKind != JsonValueKind.Object)
                            {
                                continue;
                            }

                            var index = call.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number ? i.GetInt32() : position;
                            string? name = null, args = null;
                            if (call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object)
                            {
                                name = ChatAnswer.Str(f, "name");
                                args = ChatAnswer.Str(f, "arguments");
                            }

                            calls.Add(new ToolCallDelta(index, ChatAnswer.Str(call, "id"), name, args));
                            position++;
                        }
                    }
                    else if (d.TryGetProperty("function_call", out var fc) && fc.ValueKind == JsonValueKind.Object)
                    {
                        calls = [new ToolCallDelta(0, null, ChatAnswer.Str(fc, "name"), ChatAnswer.Str(fc, "arguments"))];
                    }
                }
                else if (ChatAnswer.Str(choice, "text") is { } t)
                {
                    text = t;
                }
            }
        }

        return new ChatDelta
        {
            Text = text,
            Refusal = refusal,
            ToolCalls = calls ?? (IReadOnlyList<ToolCallDelta>)[],
            FinishReason = finish,
            Usage = ChatUsage.Of(chunk),
            Id = ChatAnswer.Str(chunk, "id"),
        };
    }
}
