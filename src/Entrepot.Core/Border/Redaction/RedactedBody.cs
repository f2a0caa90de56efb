using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Border.Redaction;

/// <summary>
/// Rewrites a request body with its prompt texts replaced (in the order <see cref="PromptTexts"/>
/// reads them), the <c>provider</c> object removed and, for streams, the seller asked for usage.
/// Only redacted requests take this path; the others are forwarded as bytes.
/// </summary>
public static class RedactedBody
{
    public static byte[] Write(ReadOnlySpan<byte> body, EndpointKind kind, IReadOnlyList<string> texts, bool stream)
    {
        var root = JsonNode.Parse(body)!.AsObject();
        int next = 0;
        if (kind == EndpointKind.ChatCompletions && root["messages"] is JsonArray messages)
        {
            foreach (var m in messages)
            {
                if (m is not JsonObject mo)
                {
                    continue;
                }

                switch (mo["content"])
                {
                    case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                        mo["content"] = texts[next++];
                        break;
                    case JsonArray parts:
                        foreach (var p in parts)
                        {
                            if (p is JsonObject po && po["text"] is JsonValue tv && tv.GetValueKind() == JsonValueKind.String)
                            {
                                po["text"] = texts[next++];
                            }
                        }

                        break;
                }
            }
        }
        else if (kind == EndpointKind.Completions)
        {
            switch (root["prompt"])
            {
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    root["prompt"] = texts[next++];
                    break;
                case JsonArray arr:
                    for (int i = 0; i < arr.Count; i++)
                    {
                        if (arr[i] is JsonValue s && s.GetValueKind() == JsonValueKind.String)
                        {
                            arr[i] = texts[next++];
                        }
                    }

                    break;
            }
        }

        root.Remove("provider");
        if (stream)
        {
            var options = root["stream_options"] as JsonObject ?? [];
            options["include_usage"] = true;
            root["stream_options"] = options;
        }

        return JsonSerializer.SerializeToUtf8Bytes(root, RedactionJsonContext.Default.JsonObject);
    }
}
