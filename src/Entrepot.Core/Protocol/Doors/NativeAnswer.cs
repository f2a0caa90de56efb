using System.Text;
using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// What the exchange reads of an answer a seller gave in a door's own format (a native seller of
/// the Responses or Messages API): the usage it states and the text it delivered, for the
/// exchange's own count. A whole answer at once, a stream event by event (<see cref="Watch"/>).
/// </summary>
public sealed class NativeAnswer(string api)
{
    private readonly StringBuilder _text = new();

    /// <summary>The stream reached the door's end event (response.completed or .incomplete; message_stop).</summary>
    public bool Done { get; private set; }
    public bool SawUsage { get; private set; }
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public long CachedTokens { get; private set; }
    public long ReasoningTokens { get; private set; }
    public long ContentEvents { get; private set; }
    public string Text => _text.ToString();

    public TokenUsage? Usage => SawUsage ? new TokenUsage(InputTokens, OutputTokens, false) { CachedTokens = CachedTokens, ReasoningTokens = ReasoningTokens } : null;

    /// <summary>Reads a whole answer: a Responses <c>response</c> or a Messages <c>message</c>.</summary>
    public void ReadWhole(ReadOnlySpan<byte> body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body.ToArray());
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            ReadUsage(root);
            if (api == "responses" && root.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in output.EnumerateArray())
                {
                    AppendString(item, "arguments");
                    if (item.TryGetProperty("content", out var parts) && parts.ValueKind == JsonValueKind.Array)
                    {
                        foreach (var part in parts.EnumerateArray())
                        {
                            AppendString(part, "text");
                            AppendString(part, "refusal");
                        }
                    }
                }
            }
            else if (root.TryGetProperty("content", out var blocks) && blocks.ValueKind == JsonValueKind.Array)
            {
                foreach (var block in blocks.EnumerateArray())
                {
                    AppendString(block, "text");
                    if (block.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Object)
                    {
                        _text.Append(input.GetRawText());
                    }
                }
            }
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>Reads one event's data of a stream.</summary>
    public void Watch(ReadOnlySpan<byte> payload)
    {
        try
        {
            using var doc = JsonDocument.Parse(payload.ToArray());
            var e = doc.RootElement;
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String)
            {
                return;
            }

            switch (t.GetString())
            {
                case "response.output_text.delta" or "response.refusal.delta" or "response.function_call_arguments.delta":
                    ContentEvents++;
                    AppendString(e, "delta");
                    break;
                case "response.completed" or "response.incomplete":
                    Done = true;
                    if (e.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
                    {
                        ReadUsage(response);
                    }

                    break;
                case "message_start":
                    if (e.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
                    {
                        ReadUsage(message);
                    }

                    break;
                case "content_block_delta":
                    if (e.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
                    {
                        ContentEvents++;
                        AppendString(delta, "text");
                        AppendString(delta, "partial_json");
                    }

                    break;
                case "message_delta":
                    ReadUsage(e);
                    break;
                case "message_stop":
                    Done = true;
                    break;
            }
        }
        catch (JsonException)
        {
        }
    }

    /// <summary>The usage object of a response, a message or a message_delta: input and output
    /// tokens (Anthropic's input leaves out what was read from cache: it is added back, as cached).</summary>
    private void ReadUsage(JsonElement holder)
    {
        if (!holder.TryGetProperty("usage", out var u) || u.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var cacheRead = Long(u, "cache_read_input_tokens");
        if (u.TryGetProperty("input_tokens", out _))
        {
            InputTokens = (Long(u, "input_tokens") ?? 0) + (cacheRead ?? 0);
            SawUsage = true;
        }

        if (u.TryGetProperty("output_tokens", out _))
        {
            OutputTokens = Long(u, "output_tokens") ?? 0;
            SawUsage = true;
        }

        CachedTokens = cacheRead ?? (u.TryGetProperty("input_tokens_details", out var d) && d.ValueKind == JsonValueKind.Object ? Long(d, "cached_tokens") : null) ?? CachedTokens;
        if (u.TryGetProperty("output_tokens_details", out var od) && od.ValueKind == JsonValueKind.Object && Long(od, "reasoning_tokens") is { } reasoning)
        {
            ReasoningTokens = reasoning;
        }
    }

    private static long? Long(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) && n >= 0 ? n : null;

    private void AppendString(JsonElement o, string name)
    {
        if (o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
        {
            _text.Append(v.GetString());
        }
    }
}
