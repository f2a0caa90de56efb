using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// The OpenAI Responses API (<c>POST /v1/responses</c>) over chat completions: reads a Responses
/// request and writes the chat request a seller is sent, field by field, or the 400 naming what
/// cannot cross. The exchange keeps no conversations: <c>store: true</c>,
/// <c>previous_response_id</c>, <c>conversation</c>, <c>background</c> and item references are
/// refused (keeping them would itself be a transfer to decide on). What a translation cannot carry
/// is listed in docs/API.md, "Responses".
/// </summary>
public static class ResponsesDoor
{
    /// <summary>Fields read and carried (or echoed) with no chat counterpart needed.</summary>
    private static readonly HashSet<string> Ignored =
        ["reasoning", "include", "truncation", "service_tier", "top_logprobs", "stream_options", "prompt_cache_key", "prompt_cache_retention", "safety_identifier", "metadata", "max_tool_calls"];

    public static ResponsesTranslation? Read(ReadOnlySpan<byte> body, out RequestError? error) =>
        DoorRequest.Translate(body, "Responses", Translate, out error);

    private static ResponsesTranslation Translate(JsonObject root)
    {
        var chat = new JsonObject();
        var messages = new JsonArray();
        var stream = false;
        string? model = null;
        JsonNode? input = null;
        foreach (var (name, value) in root)
        {
            switch (name)
            {
                case "model":
                    model = value is JsonValue v && v.TryGetValue<string>(out var m) ? m : throw new DoorException("'model' must be a string naming the model.", "model");
                    break;
                case "input":
                    input = value;
                    break;
                case "instructions":
                    if (value is not null && !IsString(value))
                    {
                        throw new DoorException("'instructions' must be a string.", "instructions");
                    }

                    break;
                case "store":
                    if (value is JsonValue s && s.TryGetValue<bool>(out var store) && store)
                    {
                        throw new DoorException("'store: true' is not supported: this exchange keeps no responses (keeping them would be a transfer of its own). Send 'store': false and the whole conversation in 'input'.", "store");
                    }

                    break;
                case "previous_response_id":
                case "conversation":
                    if (value is not null)
                    {
                        throw new DoorException($"'{name}' is not supported: this exchange keeps no conversations. Send the whole conversation in 'input'.", name);
                    }

                    break;
                case "background":
                    if (value is JsonValue b && b.TryGetValue<bool>(out var bg) && bg)
                    {
                        throw new DoorException("'background: true' is not supported: answers are given on the request's own connection.", "background");
                    }

                    break;
                case "prompt":
                    if (value is not null)
                    {
                        throw new DoorException("'prompt' (a stored prompt template) is not supported: send the text in 'instructions' and 'input'.", "prompt");
                    }

                    break;
                case "stream":
                    stream = value is JsonValue st && st.TryGetValue<bool>(out var sv) ? sv : value is null ? false : throw new DoorException("'stream' must be true or false.", "stream");
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
                        chat["tool_choice"] = ToolChoice(value);
                    }

                    break;
                case "text":
                    if (Format(value) is { } format)
                    {
                        chat["response_format"] = format;
                    }

                    break;
                case "max_output_tokens":
                    if (value is not null)
                    {
                        chat["max_tokens"] = value.DeepClone();
                    }

                    break;
                case "temperature":
                case "top_p":
                case "parallel_tool_calls":
                case "user":
                case "seed":
                case "provider":
                    if (value is not null)
                    {
                        chat[name] = value.DeepClone();
                    }

                    break;
                default:
                    if (!Ignored.Contains(name))
                    {
                        throw new DoorException($"Unknown parameter '{name}' for the Responses API.", name);
                    }

                    break;
            }
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            throw new DoorException("'model' is required.", "model");
        }

        if (root["instructions"] is JsonValue ins && ins.TryGetValue<string>(out var instructions))
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = instructions });
        }

        switch (input)
        {
            case null:
                throw new DoorException("'input' is required: a string or an array of input items.", "input");
            case JsonValue iv when iv.TryGetValue<string>(out var text):
                messages.Add(new JsonObject { ["role"] = "user", ["content"] = text });
                break;
            case JsonArray items:
                Items(items, messages);
                break;
            default:
                throw new DoorException("'input' must be a string or an array of input items.", "input");
        }

        if (messages.Count == 0)
        {
            throw new DoorException("'input' holds no message.", "input");
        }

        if (root["safety_identifier"] is JsonValue sid && sid.TryGetValue<string>(out var safety) && chat["user"] is null)
        {
            chat["user"] = safety;
        }

        chat["model"] = model;
        chat["messages"] = messages;
        if (stream)
        {
            chat["stream"] = true;
            chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return new ResponsesTranslation(root)
        {
            ChatBody = JsonSerializer.SerializeToUtf8Bytes(chat, DoorJsonContext.Default.JsonObject),
            Model = model,
        };
    }

    private static void Items(JsonArray items, JsonArray messages)
    {
        for (var i = 0; i < items.Count; i++)
        {
            var at = $"input[{i}]";
            if (items[i] is not JsonObject item)
            {
                throw new DoorException($"'{at}' must be an object (a message, function_call or function_call_output).", at);
            }

            var type = item["type"] is JsonValue tv && tv.TryGetValue<string>(out var t) ? t : item.ContainsKey("role") ? "message" : null;
            switch (type)
            {
                case "message":
                    messages.Add(Message(item, at));
                    break;
                case "function_call":
                {
                    var call = new JsonObject
                    {
                        ["id"] = RequiredString(item, "call_id", at),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = RequiredString(item, "name", at), ["arguments"] = RequiredString(item, "arguments", at) },
                    };
                    // Consecutive calls are one assistant turn, as chat completions writes them.
                    if (messages.Count > 0 && messages[^1] is JsonObject last && (string?)last["role"] == "assistant" && last["tool_calls"] is JsonArray calls)
                    {
                        calls.Add(call);
                    }
                    else if (messages.Count > 0 && messages[^1] is JsonObject said && (string?)said["role"] == "assistant" && said["tool_calls"] is null)
                    {
                        said["tool_calls"] = new JsonArray(call);
                    }
                    else
                    {
                        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = null, ["tool_calls"] = new JsonArray(call) });
                    }

                    break;
                }

                case "function_call_output":
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = RequiredString(item, "call_id", at),
                        ["content"] = OutputText(item["output"], at + ".output"),
                    });
                    break;
                case "reasoning":
                    // A model's own reasoning handed back: chat completions has no place for it; it does not cross.
                    break;
                case "item_reference":
                    throw new DoorException($"'{at}' is an item reference: this exchange keeps no items; send the item itself.", at);
                default:
                    throw new DoorException($"'{at}.type' '{type}' is not supported here: input items are message, function_call, function_call_output (and reasoning, which is dropped).", at + ".type");
            }
        }
    }

    private static JsonObject Message(JsonObject item, string at)
    {
        var role = item["role"] is JsonValue rv && rv.TryGetValue<string>(out var r) ? r : null;
        if (role is not ("user" or "system" or "developer" or "assistant"))
        {
            throw new DoorException($"'{at}.role' must be one of user, system, developer, assistant.", at + ".role");
        }

        var content = item["content"];
        if (content is JsonValue cv && cv.TryGetValue<string>(out var text))
        {
            return new JsonObject { ["role"] = role, ["content"] = text };
        }

        if (content is not JsonArray parts)
        {
            throw new DoorException($"'{at}.content' must be a string or an array of content parts.", at + ".content");
        }

        var chatParts = new JsonArray();
        string? refusal = null;
        for (var j = 0; j < parts.Count; j++)
        {
            var pat = $"{at}.content[{j}]";
            if (parts[j] is not JsonObject part || part["type"] is not JsonValue ptv || !ptv.TryGetValue<string>(out var ptype))
            {
                throw new DoorException($"'{pat}' must be an object with a 'type'.", pat);
            }

            switch (ptype)
            {
                case "input_text":
                case "output_text":
                case "text":
                    chatParts.Add(new JsonObject { ["type"] = "text", ["text"] = RequiredString(part, "text", pat) });
                    break;
                case "refusal":
                    refusal = RequiredString(part, "refusal", pat);
                    break;
                case "input_image":
                {
                    if (part["file_id"] is not null)
                    {
                        throw new DoorException($"'{pat}.file_id': stored files cannot be sent on; give the image as 'image_url' (a URL or a data: URL).", pat + ".file_id");
                    }

                    var image = new JsonObject { ["url"] = RequiredString(part, "image_url", pat) };
                    if (part["detail"] is JsonValue dv && dv.TryGetValue<string>(out var detail) && detail is "low" or "high" or "auto")
                    {
                        image["detail"] = detail;
                    }

                    chatParts.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = image });
                    break;
                }

                case "input_file":
                {
                    if (part["file_url"] is not null || part["file_id"] is not null)
                    {
                        throw new DoorException($"'{pat}': files by URL or stored id cannot be sent on; give 'file_data' and 'filename'.", pat);
                    }

                    var file = new JsonObject { ["file_data"] = RequiredString(part, "file_data", pat) };
                    if (part["filename"] is JsonValue fn && fn.TryGetValue<string>(out var filename))
                    {
                        file["filename"] = filename;
                    }

                    chatParts.Add(new JsonObject { ["type"] = "file", ["file"] = file });
                    break;
                }

                default:
                    throw new DoorException($"'{pat}.type' '{ptype}' is not supported: use input_text, output_text, refusal, input_image or input_file.", pat + ".type");
            }
        }

        var message = new JsonObject { ["role"] = role };
        if (role == "assistant" || role == "system" || role == "developer")
        {
            // Chat's assistant and system turns take text; joined, as the model saw it.
            if (chatParts.Any(p => (string?)p!["type"] != "text"))
            {
                throw new DoorException($"'{at}.content': a {role} turn carries text only.", at + ".content");
            }

            message["content"] = string.Concat(chatParts.Select(p => (string?)p!["text"]));
        }
        else
        {
            message["content"] = chatParts;
        }

        if (refusal is not null)
        {
            message["refusal"] = refusal;
        }

        return message;
    }

    /// <summary>A function call's output: a string, or text parts (chat's tool turn takes text only).</summary>
    private static string OutputText(JsonNode? output, string at)
    {
        if (output is JsonValue v && v.TryGetValue<string>(out var s))
        {
            return s;
        }

        if (output is JsonArray parts)
        {
            var sb = new System.Text.StringBuilder();
            for (var i = 0; i < parts.Count; i++)
            {
                if (parts[i] is JsonObject p && (string?)p["type"] is "input_text" or "output_text" && p["text"] is JsonValue tv && tv.TryGetValue<string>(out var t))
                {
                    sb.Append(t);
                }
                else
                {
                    throw new DoorException($"'{at}[{i}]': a function call's output crosses as text only (input_text parts).", $"{at}[{i}]");
                }
            }

            return sb.ToString();
        }

        throw new DoorException($"'{at}' must be a string or an array of input_text parts.", at);
    }

    private static JsonArray Tools(JsonNode value)
    {
        if (value is not JsonArray tools)
        {
            throw new DoorException("'tools' must be an array of function tools.", "tools");
        }

        var chat = new JsonArray();
        for (var i = 0; i < tools.Count; i++)
        {
            var at = $"tools[{i}]";
            if (tools[i] is not JsonObject tool || (string?)tool["type"] != "function")
            {
                var type = tools[i] is JsonObject o ? (string?)o["type"] : null;
                throw new DoorException($"'{at}.type' '{type}' is not supported: only function tools cross this exchange (built-in tools run at one provider).", at + ".type");
            }

            var function = new JsonObject { ["name"] = RequiredString(tool, "name", at) };
            foreach (var key in new[] { "description", "parameters", "strict" })
            {
                if (tool[key] is { } v)
                {
                    function[key] = v.DeepClone();
                }
            }

            chat.Add(new JsonObject { ["type"] = "function", ["function"] = function });
        }

        return chat;
    }

    private static JsonNode ToolChoice(JsonNode value)
    {
        if (value is JsonValue v && v.TryGetValue<string>(out var s) && s is "none" or "auto" or "required")
        {
            return s;
        }

        if (value is JsonObject o)
        {
            switch ((string?)o["type"])
            {
                case "function":
                    return new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = RequiredString(o, "name", "tool_choice") } };
                case "allowed_tools":
                {
                    var allowed = new JsonArray();
                    if (o["tools"] is JsonArray list)
                    {
                        foreach (var t in list)
                        {
                            if (t is JsonObject to && (string?)to["type"] == "function")
                            {
                                allowed.Add(new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = RequiredString(to, "name", "tool_choice.tools") } });
                            }
                            else
                            {
                                throw new DoorException("'tool_choice.tools' may name function tools only.", "tool_choice.tools");
                            }
                        }
                    }

                    return new JsonObject
                    {
                        ["type"] = "allowed_tools",
                        ["allowed_tools"] = new JsonObject { ["mode"] = o["mode"]?.DeepClone() ?? "auto", ["tools"] = allowed },
                    };
                }
            }
        }

        throw new DoorException("'tool_choice' must be none, auto, required, {\"type\":\"function\",\"name\":...} or allowed_tools.", "tool_choice");
    }

    /// <summary><c>text.format</c> as chat's <c>response_format</c>; null for plain text.</summary>
    private static JsonObject? Format(JsonNode? text)
    {
        if (text is null)
        {
            return null;
        }

        if (text is not JsonObject t)
        {
            throw new DoorException("'text' must be an object with a 'format'.", "text");
        }

        if (t["format"] is not JsonObject f)
        {
            return null;
        }

        switch ((string?)f["type"])
        {
            case "text":
                return null;
            case "json_object":
                return new JsonObject { ["type"] = "json_object" };
            case "json_schema":
            {
                var schema = new JsonObject { ["name"] = RequiredString(f, "name", "text.format"), ["schema"] = f["schema"]?.DeepClone() ?? throw new DoorException("'text.format.schema' is required.", "text.format.schema") };
                foreach (var key in new[] { "description", "strict" })
                {
                    if (f[key] is { } v)
                    {
                        schema[key] = v.DeepClone();
                    }
                }

                return new JsonObject { ["type"] = "json_schema", ["json_schema"] = schema };
            }

            default:
                throw new DoorException("'text.format.type' must be text, json_object or json_schema.", "text.format.type");
        }
    }

    private static bool IsString(JsonNode node) => node is JsonValue v && v.TryGetValue<string>(out _);

    private static string RequiredString(JsonObject o, string name, string at) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new DoorException($"'{at}.{name}' is required and must be a string.", at + "." + name);
}

/// <summary>A request a door cannot translate, with the parameter named.</summary>
internal sealed class DoorException(string message, string? param) : Exception(message)
{
    public string? Param { get; } = param;
}

/// <summary>What every door's reader does first: the body as one JSON object, then its translation,
/// with whatever cannot cross turned into the 400 that names it.</summary>
internal static class DoorRequest
{
    public static T? Translate<T>(ReadOnlySpan<byte> body, string api, Func<JsonObject, T> translate, out RequestError? error) where T : class
    {
        error = null;
        JsonObject? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 64 }) as JsonObject;
        }
        catch (JsonException e)
        {
            error = new RequestError($"The request body is not valid JSON: {e.Message}", null, "invalid_json");
            return null;
        }

        if (root is null)
        {
            error = new RequestError("The request body must be a JSON object.", null, "invalid_json");
            return null;
        }

        try
        {
            return translate(root);
        }
        catch (DoorException e)
        {
            error = new RequestError(e.Message, e.Param);
            return null;
        }
        catch (InvalidOperationException)
        {
            // A value of an unexpected JSON kind where the grammar reads another.
            error = new RequestError($"The request body does not follow the {api} API's shapes.", null);
            return null;
        }
    }
}
