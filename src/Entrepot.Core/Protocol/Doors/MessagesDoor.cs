using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// The Anthropic Messages API (<c>POST /v1/messages</c>) over chat completions: reads a Messages
/// request and writes the chat request a seller is sent, block by block, or the 400 naming what
/// cannot cross. What a translation cannot carry is listed in docs/API.md, "Messages".
/// </summary>
public static class MessagesDoor
{
    /// <summary>The anthropic-version values this door speaks.</summary>
    public static readonly IReadOnlyList<string> Versions = ["2023-01-01", "2023-06-01", "2026-10-21"];

    /// <summary>Read and not carried: they shape Anthropic's own serving, not what is said.</summary>
    private static readonly HashSet<string> Dropped = ["thinking", "service_tier", "cache_control", "output_config", "top_k"];

    public static MessagesTranslation? Read(ReadOnlySpan<byte> body, string? version, out RequestError? error)
    {
        if (version is not null && !Versions.Contains(version))
        {
            error = new RequestError($"The anthropic-version header '{version}' is not one this exchange speaks ({string.Join(", ", Versions)}).", "anthropic-version");
            return null;
        }

        return DoorRequest.Translate(body, "Messages", root => Translate(root, version), out error);
    }

    /// <summary>The chat request for <c>count_tokens</c>: the same reading, without max_tokens or stream.</summary>
    public static MessagesTranslation? ReadForCounting(ReadOnlySpan<byte> body, out RequestError? error) =>
        DoorRequest.Translate(body, "Messages", root =>
        {
            root["max_tokens"] = JsonValue.Create(1L);
            root.Remove("stream");
            return Translate(root, null);
        }, out error);

    private static MessagesTranslation Translate(JsonObject root, string? version)
    {
        var chat = new JsonObject();
        var messages = new JsonArray();
        string? model = null;
        var stream = false;
        long? maxTokens = null;
        foreach (var (name, value) in root)
        {
            switch (name)
            {
                case "model":
                    model = value is JsonValue v && v.TryGetValue<string>(out var m) ? m : throw new DoorException("model: must be a string naming the model.", "model");
                    break;
                case "max_tokens":
                    maxTokens = value is JsonValue mv && mv.TryGetValue<long>(out var n) && n >= 1
                        ? n : throw new DoorException("max_tokens: must be a whole number of at least 1.", "max_tokens");
                    break;
                case "messages":
                case "system":
                    break;
                case "stream":
                    stream = value is JsonValue sv && sv.TryGetValue<bool>(out var s) ? s : value is null ? false : throw new DoorException("stream: must be true or false.", "stream");
                    break;
                case "temperature":
                case "top_p":
                    if (version == "2026-10-21")
                    {
                        throw new DoorException($"{name}: not accepted with anthropic-version 2026-10-21.", name);
                    }

                    if (value is not null)
                    {
                        chat[name] = value.DeepClone();
                    }

                    break;
                case "stop_sequences":
                    if (value is JsonArray stops)
                    {
                        if (stops.Count > 4)
                        {
                            throw new DoorException("stop_sequences: at most 4 cross to a seller (chat completions takes 4).", "stop_sequences");
                        }

                        if (stops.Count > 0)
                        {
                            chat["stop"] = stops.DeepClone();
                        }
                    }
                    else if (value is not null)
                    {
                        throw new DoorException("stop_sequences: must be an array of strings.", "stop_sequences");
                    }

                    break;
                case "metadata":
                    if (value is JsonObject meta && meta["user_id"] is JsonValue uv && uv.TryGetValue<string>(out var user))
                    {
                        chat["user"] = user;
                    }

                    break;
                case "tools":
                    if (value is not null)
                    {
                        chat["tools"] = Tools(value);
                    }

                    break;
                case "tool_choice":
                    if (value is not null)
                    {
                        ToolChoice(value, chat);
                    }

                    break;
                case "inference_geo":
                    throw new DoorException("inference_geo: this exchange decides where a request may go by its border rules; name the jurisdictions in the Entrepot-Provider-Preferences header.", "inference_geo");
                default:
                    if (!Dropped.Contains(name))
                    {
                        throw new DoorException($"{name}: Extra inputs are not permitted.", name);
                    }

                    break;
            }
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            throw new DoorException("model: Field required.", "model");
        }

        if (maxTokens is null)
        {
            throw new DoorException("max_tokens: Field required.", "max_tokens");
        }

        switch (root["system"])
        {
            case null:
                break;
            case JsonValue sv when sv.TryGetValue<string>(out var system):
                messages.Add(new JsonObject { ["role"] = "system", ["content"] = system });
                break;
            case JsonArray blocks:
                messages.Add(new JsonObject { ["role"] = "system", ["content"] = TextOf(blocks, "system") });
                break;
            default:
                throw new DoorException("system: must be a string or an array of text blocks.", "system");
        }

        if (root["messages"] is not JsonArray turns || turns.Count == 0)
        {
            throw new DoorException("messages: Field required: a non-empty array of {role, content}.", "messages");
        }

        for (var i = 0; i < turns.Count; i++)
        {
            Turn(turns[i], $"messages.{i}", messages);
        }

        chat["model"] = model;
        chat["max_tokens"] = maxTokens;
        chat["messages"] = messages;
        if (stream)
        {
            chat["stream"] = true;
            chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return new MessagesTranslation(root["stop_sequences"] as JsonArray)
        {
            ChatBody = JsonSerializer.SerializeToUtf8Bytes(chat, DoorJsonContext.Default.JsonObject),
            Model = model,
        };
    }

    private static void Turn(JsonNode? node, string at, JsonArray messages)
    {
        if (node is not JsonObject turn)
        {
            throw new DoorException($"{at}: must be an object with role and content.", at);
        }

        var role = turn["role"] is JsonValue rv && rv.TryGetValue<string>(out var r) ? r : null;
        if (role is not ("user" or "assistant"))
        {
            throw new DoorException($"{at}.role: must be 'user' or 'assistant'.", at + ".role");
        }

        var content = turn["content"];
        if (content is JsonValue cv && cv.TryGetValue<string>(out var text))
        {
            messages.Add(new JsonObject { ["role"] = role, ["content"] = text });
            return;
        }

        if (content is not JsonArray blocks)
        {
            throw new DoorException($"{at}.content: must be a string or an array of content blocks.", at + ".content");
        }

        var parts = new JsonArray();
        var calls = new JsonArray();
        for (var j = 0; j < blocks.Count; j++)
        {
            var bat = $"{at}.content.{j}";
            if (blocks[j] is not JsonObject block || block["type"] is not JsonValue tv || !tv.TryGetValue<string>(out var type))
            {
                throw new DoorException($"{bat}: must be a content block with a type.", bat);
            }

            switch (type)
            {
                case "text":
                    parts.Add(new JsonObject { ["type"] = "text", ["text"] = RequiredString(block, "text", bat) });
                    break;
                case "image" when role == "user":
                    parts.Add(Image(block, bat));
                    break;
                case "tool_use" when role == "assistant":
                    calls.Add(new JsonObject
                    {
                        ["id"] = RequiredString(block, "id", bat),
                        ["type"] = "function",
                        ["function"] = new JsonObject
                        {
                            ["name"] = RequiredString(block, "name", bat),
                            ["arguments"] = block["input"] is JsonObject input ? input.ToJsonString() : throw new DoorException($"{bat}.input: must be an object.", bat + ".input"),
                        },
                    });
                    break;
                case "tool_result" when role == "user":
                    // Chat completions answers calls in tool turns of their own, before what the user says next.
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = RequiredString(block, "tool_use_id", bat),
                        ["content"] = block["content"] switch
                        {
                            null => "",
                            JsonValue s when s.TryGetValue<string>(out var str) => str,
                            JsonArray inner => TextOf(inner, bat + ".content"),
                            _ => throw new DoorException($"{bat}.content: must be a string or text blocks.", bat + ".content"),
                        },
                    });
                    break;
                case "thinking":
                case "redacted_thinking":
                    break; // a model's own reasoning handed back: chat has no place for it; it does not cross
                default:
                    throw new DoorException($"{bat}.type: '{type}' is not supported in a {role} turn here (text, image and tool_result from the user; text and tool_use from the assistant).", bat + ".type");
            }
        }

        if (parts.Count == 0 && calls.Count == 0)
        {
            return; // only tool results, already added
        }

        var message = new JsonObject { ["role"] = role };
        if (role == "assistant")
        {
            message["content"] = parts.Count == 0 ? null : string.Concat(parts.Select(p => (string?)p!["text"]));
            if (calls.Count > 0)
            {
                message["tool_calls"] = calls;
            }
        }
        else
        {
            message["content"] = parts;
        }

        messages.Add(message);
    }

    private static JsonObject Image(JsonObject block, string at)
    {
        if (block["source"] is not JsonObject source)
        {
            throw new DoorException($"{at}.source: Field required.", at + ".source");
        }

        var url = (string?)source["type"] switch
        {
            "base64" => $"data:{RequiredString(source, "media_type", at + ".source")};base64,{RequiredString(source, "data", at + ".source")}",
            "url" => RequiredString(source, "url", at + ".source"),
            _ => throw new DoorException($"{at}.source.type: must be base64 or url (stored files cannot be sent on).", at + ".source.type"),
        };
        return new JsonObject { ["type"] = "image_url", ["image_url"] = new JsonObject { ["url"] = url } };
    }

    private static string TextOf(JsonArray blocks, string at)
    {
        var sb = new System.Text.StringBuilder();
        for (var i = 0; i < blocks.Count; i++)
        {
            if (blocks[i] is JsonObject b && (string?)b["type"] == "text" && b["text"] is JsonValue tv && tv.TryGetValue<string>(out var t))
            {
                if (sb.Length > 0)
                {
                    sb.Append('\n');
                }

                sb.Append(t);
            }
            else
            {
                throw new DoorException($"{at}.{i}: only text blocks cross here.", $"{at}.{i}");
            }
        }

        return sb.ToString();
    }

    private static JsonArray Tools(JsonNode value)
    {
        if (value is not JsonArray tools)
        {
            throw new DoorException("tools: must be an array of tools.", "tools");
        }

        var chat = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var at = $"tools.{i}";
            if (tools[i] is not JsonObject tool)
            {
                throw new DoorException($"{at}: must be an object.", at);
            }

            if (tool["type"] is JsonValue tv && tv.TryGetValue<string>(out var type) && type != "custom")
            {
                throw new DoorException($"{at}.type: '{type}' is a server tool, run by one provider; only client tools (name, input_schema) cross this exchange.", at + ".type");
            }

            var function = new JsonObject
            {
                ["name"] = RequiredString(tool, "name", at),
                ["parameters"] = tool["input_schema"] is JsonObject schema ? schema.DeepClone() : throw new DoorException($"{at}.input_schema: Field required.", at + ".input_schema"),
            };
            if (tool["description"] is JsonValue dv && dv.TryGetValue<string>(out var description))
            {
                function["description"] = description;
            }

            if (tool["strict"] is JsonValue st && st.TryGetValue<bool>(out var strict))
            {
                function["strict"] = strict;
            }

            chat.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }

        return chat;
    }

    private static void ToolChoice(JsonNode value, JsonObject chat)
    {
        if (value is not JsonObject choice)
        {
            throw new DoorException("tool_choice: must be an object with a type.", "tool_choice");
        }

        chat["tool_choice"] = (string?)choice["type"] switch
        {
            "auto" => "auto",
            "any" => "required",
            "none" => "none",
            "tool" => new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = RequiredString(choice, "name", "tool_choice") } },
            _ => throw new DoorException("tool_choice.type: must be auto, any, tool or none.", "tool_choice.type"),
        };
        if (choice["disable_parallel_tool_use"] is JsonValue pv && pv.TryGetValue<bool>(out var single) && single)
        {
            chat["parallel_tool_calls"] = false;
        }
    }

    private static string RequiredString(JsonObject o, string name, string at) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new DoorException($"{at}.{name}: Field required (a string).", at + "." + name);
}
