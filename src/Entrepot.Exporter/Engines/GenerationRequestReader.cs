using System.Text.Json;
using Entrepot.Core.Protocol;

namespace Entrepot.Exporter.Engines;

/// <summary>Reads and validates an OpenAI chat or completions request for the embedded engine.</summary>
public static class GenerationRequestReader
{
    public static GenerationRequest? Read(ReadOnlySpan<byte> body, EndpointKind kind, out RequestError? error)
    {
        error = null;
        JsonDocument doc;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!JsonDocument.TryParseValue(ref reader, out var parsed))
            {
                return Fail(out error, "The request body is not valid JSON.", null);
            }

            doc = parsed;
        }
        catch (JsonException e)
        {
            return Fail(out error, $"The request body is not valid JSON: {e.Message}", null);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(out error, "The request body must be a JSON object.", null);
            }

            if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
            {
                return Fail(out error, "'model' is required: a string naming the model.", "model");
            }

            var messages = new List<(string, string)>();
            string? prompt = null;
            if (kind == EndpointKind.ChatCompletions)
            {
                if (!root.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0)
                {
                    return Fail(out error, "'messages' is required: a non-empty array of {role, content} objects.", "messages");
                }

                var i = 0;
                foreach (var m in msgs.EnumerateArray())
                {
                    if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                    {
                        return Fail(out error, $"'messages[{i}].role' is required.", $"messages[{i}].role");
                    }

                    if (!TryContent(m, out var content))
                    {
                        return Fail(out error, $"'messages[{i}].content' must be a string or an array of text parts.", $"messages[{i}].content");
                    }

                    messages.Add((role.GetString()!, content));
                    i++;
                }
            }
            else
            {
                if (!root.TryGetProperty("prompt", out var p) || p.ValueKind != JsonValueKind.String)
                {
                    return Fail(out error, "'prompt' is required: a string (arrays of prompts are not supported by the embedded engine).", "prompt");
                }

                prompt = p.GetString();
            }

            int? maxTokens = null;
            foreach (var name in (ReadOnlySpan<string>)["max_tokens", "max_completion_tokens"])
            {
                if (root.TryGetProperty(name, out var mt) && mt.ValueKind != JsonValueKind.Null)
                {
                    if (mt.ValueKind != JsonValueKind.Number || !mt.TryGetInt32(out var v) || v < 1)
                    {
                        return Fail(out error, $"'{name}' must be a positive integer.", name);
                    }

                    maxTokens = v;
                }
            }

            if (!ReadFloat(root, "temperature", 0, 2, 1.0f, out var temperature, out error) ||
                !ReadFloat(root, "top_p", 0, 1, 1.0f, out var topP, out error))
            {
                return null;
            }

            uint? seed = null;
            if (root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null)
            {
                if (s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out var sv))
                {
                    return Fail(out error, "'seed' must be an integer.", "seed");
                }

                seed = unchecked((uint)sv);
            }

            if (root.TryGetProperty("n", out var n) && n.ValueKind != JsonValueKind.Null && (n.ValueKind != JsonValueKind.Number || n.GetDouble() != 1))
            {
                return Fail(out error, "'n' must be 1: the embedded engine generates one choice per request.", "n");
            }

            var stop = new List<string>();
            if (root.TryGetProperty("stop", out var st))
            {
                if (st.ValueKind == JsonValueKind.String)
                {
                    stop.Add(st.GetString()!);
                }
                else if (st.ValueKind == JsonValueKind.Array)
                {
                    foreach (var e in st.EnumerateArray())
                    {
                        if (e.ValueKind != JsonValueKind.String)
                        {
                            return Fail(out error, "'stop' must be a string or an array of up to 4 strings.", "stop");
                        }

                        stop.Add(e.GetString()!);
                    }
                }
                else if (st.ValueKind != JsonValueKind.Null)
                {
                    return Fail(out error, "'stop' must be a string or an array of up to 4 strings.", "stop");
                }

                if (stop.Count > 4 || stop.Any(x => x.Length == 0))
                {
                    return Fail(out error, "'stop' must be a string or an array of up to 4 non-empty strings.", "stop");
                }
            }

            var stream = root.TryGetProperty("stream", out var sm) && sm.ValueKind == JsonValueKind.True;
            var includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object &&
                               so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;

            return new GenerationRequest
            {
                Model = model.GetString()!,
                Messages = messages,
                Prompt = prompt,
                MaxTokens = maxTokens,
                Temperature = temperature,
                TopP = topP,
                Seed = seed,
                Stop = stop,
                Stream = stream,
                IncludeUsage = includeUsage,
            };
        }
    }

    private static bool TryContent(JsonElement message, out string content)
    {
        content = "";
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (c.ValueKind == JsonValueKind.String)
        {
            content = c.GetString()!;
            return true;
        }

        if (c.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var parts = new List<string>();
        foreach (var part in c.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                parts.Add(t.GetString()!);
            }
        }

        content = string.Join("\n", parts);
        return true;
    }

    private static bool ReadFloat(JsonElement root, string name, float min, float max, float fallback, out float value, out RequestError? error)
    {
        value = fallback;
        error = null;
        if (!root.TryGetProperty(name, out var e) || e.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (e.ValueKind != JsonValueKind.Number || e.GetDouble() < min || e.GetDouble() > max)
        {
            error = new RequestError($"'{name}' must be a number from {min} to {max}.", name);
            return false;
        }

        value = (float)e.GetDouble();
        return true;
    }

    private static GenerationRequest? Fail(out RequestError? error, string message, string? param)
    {
        error = new RequestError(message, param);
        return null;
    }
}
