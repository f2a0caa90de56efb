using System.Text.Json;
using System.Text.Unicode;
using Entrepot.Core.Routing;

namespace Entrepot.Core.Protocol;

/// <summary>
/// The one reader of the request grammar: validates a chat or completions request and reads, in one
/// forward pass with <see cref="Utf8JsonReader"/>, what routing and metering need and every string
/// that carries the buyer's data (<see cref="PromptContent"/>), which the border scans and redacts,
/// the token counters count and an engine generates from. Each format's grammar is a method of its
/// own (<see cref="ReadChatProperty"/>, <see cref="ReadCompletionsProperty"/>) over shared readers
/// of values; a property the grammar does not know is not trusted to be free of data: its strings
/// are collected too. Every failure names the field and what was expected; nothing here throws.
/// </summary>
public static class InferenceRequestParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>The roles of the chat completions API.</summary>
    public static readonly IReadOnlyList<string> ChatRoles = ["system", "developer", "user", "assistant", "tool", "function"];

    public static InferenceRequest? Parse(ReadOnlySpan<byte> body, EndpointKind kind, out RequestError? error)
    {
        if (!Utf8.IsValid(body))
        {
            // Checked whole, so no string the grammar skips reaches a seller malformed either.
            error = new RequestError("The request body is not valid UTF-8; send JSON encoded as UTF-8.", null, "invalid_encoding");
            return null;
        }

        try
        {
            return ParseCore(body, kind, out error);
        }
        catch (JsonException e)
        {
            error = new RequestError($"The request body is not valid JSON: {e.Message}", null, "invalid_json");
            return null;
        }
        catch (InvalidOperationException e)
        {
            error = new RequestError($"The request body is not valid JSON: {e.Message}", null, "invalid_json");
            return null;
        }
    }

    private static InferenceRequest? ParseCore(ReadOnlySpan<byte> body, EndpointKind kind, out RequestError? error)
    {
        error = null;
        if (body.IsEmpty)
        {
            error = new RequestError("The request body is empty; expected a JSON object.", null, "invalid_json");
            return null;
        }

        var reader = new Utf8JsonReader(body, Options);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = new RequestError("The request body must be a JSON object.", null, "invalid_json");
            return null;
        }

        var r = new Collected(kind == EndpointKind.ChatCompletions);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            var known = kind switch
            {
                EndpointKind.ChatCompletions => ReadChatProperty(ref reader, r, out error),
                EndpointKind.Embeddings => ReadEmbeddingsProperty(ref reader, r, out error),
                _ => ReadCompletionsProperty(ref reader, r, out error),
            };
            if (error is not null)
            {
                return null;
            }

            if (!known && !ReadCommonProperty(ref reader, r, out error))
            {
                return null;
            }
        }

        // Anything after the object is not JSON this API takes.
        if (reader.Read())
        {
            return Fail(out error, "The request body holds more than one JSON value.", null);
        }

        if (string.IsNullOrWhiteSpace(r.Model))
        {
            return Fail(out error, "'model' is required.", "model");
        }

        if (!r.HasInput)
        {
            return kind switch
            {
                EndpointKind.ChatCompletions => Fail(out error, "'messages' is required: a non-empty array of {role, content} objects.", "messages"),
                EndpointKind.Embeddings => Fail(out error, "'input' is required: a string or an array of strings (or of token arrays).", "input"),
                _ => Fail(out error, "'prompt' is required.", "prompt"),
            };
        }

        if (kind == EndpointKind.Embeddings)
        {
            if (r.Stream)
            {
                return Fail(out error, "'stream' is not a parameter of embeddings: the vectors come whole.", "stream");
            }

            // Embeddings generate nothing: a hold and a rate limit count their input only.
            r.MaxTokens = 0;
        }

        return new InferenceRequest
        {
            Kind = kind,
            Model = r.Model,
            Stream = r.Stream,
            IncludeUsage = r.IncludeUsage,
            MaxTokens = r.MaxTokens,
            Preferences = r.Preferences,
            HasProviderObject = r.HasProvider,
            PromptTextBytes = r.Bytes,
            Content = new PromptContent(r.Texts, r.Messages, r.IsChat, r.Fields, r.Unscanned),
            Temperature = r.Temperature,
            TopP = r.TopP,
            Seed = r.Seed,
            N = r.N,
            Stop = r.Stop,
            Dimensions = r.Dimensions,
            Base64 = r.Base64,
            Inputs = r.Inputs,
            HasTools = r.HasTools,
            StructuredOutput = r.StructuredOutput,
        };
    }

    // ---- the chat completions grammar ----

    /// <summary>Reads a property only chat has; false (nothing read) for the others.</summary>
    private static bool ReadChatProperty(ref Utf8JsonReader reader, Collected r, out RequestError? error)
    {
        error = null;
        if (reader.ValueTextEquals("messages"u8))
        {
            reader.Read();
            ReadMessages(ref reader, r, out error);
            r.HasInput = true;
            return true;
        }

        if (reader.ValueTextEquals("tools"u8) || reader.ValueTextEquals("functions"u8))
        {
            reader.Read();
            ReadDefinitions(ref reader, r);
            return true;
        }

        if (reader.ValueTextEquals("response_format"u8))
        {
            reader.Read();
            r.StructuredOutput = StructuredFormat(reader);
            r.AddAll(ref reader, FieldKind.ResponseFormat, -1, names: true);
            return true;
        }

        if (reader.ValueTextEquals("prediction"u8))
        {
            reader.Read();
            r.AddAll(ref reader, FieldKind.Prediction, -1, names: false);
            return true;
        }

        return false;
    }

    /// <summary>Whether a response_format asks for JSON (json_object or json_schema), read from a copy of the reader.</summary>
    private static bool StructuredFormat(Utf8JsonReader peek)
    {
        if (peek.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var depth = peek.CurrentDepth;
        while (peek.Read() && peek.CurrentDepth > depth)
        {
            if (peek.CurrentDepth == depth + 1 && peek.TokenType == JsonTokenType.PropertyName && peek.ValueTextEquals("type"u8))
            {
                peek.Read();
                return peek.TokenType == JsonTokenType.String && !peek.ValueTextEquals("text"u8);
            }

            if (peek.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                peek.Skip();
            }
        }

        return false;
    }

    private static void ReadMessages(ref Utf8JsonReader reader, Collected r, out RequestError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = new RequestError("'messages' must be an array of {role, content} objects.", "messages");
            return;
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = new RequestError($"'messages[{index}]' must be an object with 'role' and 'content'.", $"messages[{index}]");
                return;
            }

            string? role = null;
            string? name = null;
            var first = r.Texts.Count;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    role = Role(ref reader);
                    if (role is null)
                    {
                        error = new RequestError($"'messages[{index}].role' must be one of {string.Join(", ", ChatRoles)}.", $"messages[{index}].role");
                        return;
                    }
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (!ReadContent(ref reader, r, index))
                    {
                        error = new RequestError($"'messages[{index}].content' must be a string, an array of content parts or null.", $"messages[{index}].content");
                        return;
                    }
                }
                else if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        name = r.Add(ref reader, FieldKind.Name, index);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        error = new RequestError($"'messages[{index}].name' must be a string.", $"messages[{index}].name");
                        return;
                    }
                }
                else if (reader.ValueTextEquals("tool_calls"u8))
                {
                    reader.Read();
                    ReadToolCalls(ref reader, r, index);
                }
                else if (reader.ValueTextEquals("function_call"u8))
                {
                    reader.Read();
                    ReadCall(ref reader, r, index, FieldKind.FunctionArguments);
                }
                else if (reader.ValueTextEquals("refusal"u8))
                {
                    reader.Read();
                    r.AddAll(ref reader, FieldKind.Refusal, index, names: false);
                }
                else if (reader.ValueTextEquals("audio"u8))
                {
                    // A reference to audio the buyer's provider kept: nothing here can read it.
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Null)
                    {
                        r.NotScanned("audio", index);
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("tool_call_id"u8))
                {
                    reader.Read();
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    r.AddAll(ref reader, FieldKind.Other, index, names: true);
                }
            }

            if (role is null)
            {
                error = new RequestError($"'messages[{index}].role' is required.", $"messages[{index}].role");
                return;
            }

            r.Messages.Add(new PromptMessage(role, first, r.Texts.Count - first, name));
            index++;
        }

        if (index == 0)
        {
            error = new RequestError("'messages' must not be empty.", "messages");
        }
    }

    /// <summary>The API's roles as shared strings (no allocation per message); null for any other.</summary>
    private static string? Role(ref Utf8JsonReader reader) =>
        reader.TokenType != JsonTokenType.String ? null
        : reader.ValueTextEquals("user"u8) ? "user"
        : reader.ValueTextEquals("assistant"u8) ? "assistant"
        : reader.ValueTextEquals("system"u8) ? "system"
        : reader.ValueTextEquals("developer"u8) ? "developer"
        : reader.ValueTextEquals("tool"u8) ? "tool"
        : reader.ValueTextEquals("function"u8) ? "function"
        : null;

    /// <summary>A message's content: a string, null, or parts (text and refusal read, images, audio
    /// and files marked unscanned, parts of other types collected whole).</summary>
    private static bool ReadContent(ref Utf8JsonReader reader, Collected r, int message)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                r.Add(ref reader, FieldKind.Content, message, text: true);
                return true;
            case JsonTokenType.Null:
                return true;
            case JsonTokenType.StartArray:
                break;
            default:
                reader.Skip();
                return false;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("text"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        r.Add(ref reader, FieldKind.Content, message, text: true);
                    }
                    else
                    {
                        r.AddAll(ref reader, FieldKind.Other, message, names: true);
                    }
                }
                else if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("image_url"u8))
                {
                    reader.Read();
                    r.NotScanned("image_url", message);
                    ReadMediaReference(ref reader, r, message);
                }
                else if (reader.ValueTextEquals("input_audio"u8))
                {
                    reader.Read();
                    r.NotScanned("input_audio", message);
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("file"u8))
                {
                    reader.Read();
                    r.NotScanned("file", message);
                    ReadMediaReference(ref reader, r, message);
                }
                else if (reader.ValueTextEquals("refusal"u8))
                {
                    reader.Read();
                    r.AddAll(ref reader, FieldKind.Refusal, message, names: false);
                }
                else
                {
                    reader.Read();
                    r.AddAll(ref reader, FieldKind.Other, message, names: true);
                }
            }
        }

        return true;
    }

    /// <summary>An image or file reference: its bytes (a data URL, base64 data) cannot be scanned,
    /// but a remote URL, a file name or a detail is text that crosses and is scanned.</summary>
    private static void ReadMediaReference(ref Utf8JsonReader reader, Collected r, int message)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            if (!reader.ValueSpan.StartsWith("data:"u8))
            {
                r.Add(ref reader, FieldKind.Other, message);
            }

            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var bytes = reader.ValueTextEquals("file_data"u8) || reader.ValueTextEquals("data"u8);
            var url = reader.ValueTextEquals("url"u8);
            reader.Read();
            if (bytes || (url && reader.TokenType == JsonTokenType.String && reader.ValueSpan.StartsWith("data:"u8)))
            {
                reader.Skip();
            }
            else
            {
                r.AddAll(ref reader, FieldKind.Other, message, names: false);
            }
        }
    }

    /// <summary>Earlier tool calls: each one's arguments (or a custom tool's input) are the buyer's data.</summary>
    private static void ReadToolCalls(ref Utf8JsonReader reader, Collected r, int message)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            r.AddAll(ref reader, FieldKind.ToolArguments, message, names: true);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                r.AddAll(ref reader, FieldKind.ToolArguments, message, names: true);
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var call = reader.ValueTextEquals("function"u8) || reader.ValueTextEquals("custom"u8);
                var structural = reader.ValueTextEquals("id"u8) || reader.ValueTextEquals("type"u8);
                reader.Read();
                if (call)
                {
                    ReadCall(ref reader, r, message, FieldKind.ToolArguments);
                }
                else if (structural)
                {
                    reader.Skip();
                }
                else
                {
                    r.AddAll(ref reader, FieldKind.Other, message, names: true);
                }
            }
        }
    }

    /// <summary>A call: its name is the tool's, its arguments (or input) the buyer's data.</summary>
    private static void ReadCall(ref Utf8JsonReader reader, Collected r, int message, FieldKind kind)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            r.AddAll(ref reader, kind, message, names: true);
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            reader.Read();
            if (isName && reader.TokenType == JsonTokenType.String)
            {
                continue;
            }

            r.AddAll(ref reader, kind, message, names: true);
        }
    }

    /// <summary>Tool (or legacy function) definitions: descriptions and parameter schemas are
    /// written by the buyer and may hold anything; names, types and flags are structure.</summary>
    private static void ReadDefinitions(ref Utf8JsonReader reader, Collected r)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            r.AddAll(ref reader, FieldKind.ToolDefinition, -1, names: true);
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            r.HasTools = true;
            ReadDefinition(ref reader, r);
        }
    }

    private static void ReadDefinition(ref Utf8JsonReader reader, Collected r)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            r.AddAll(ref reader, FieldKind.ToolDefinition, -1, names: true);
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var nested = reader.ValueTextEquals("function"u8) || reader.ValueTextEquals("custom"u8);
            var structural = reader.ValueTextEquals("name"u8) || reader.ValueTextEquals("type"u8) || reader.ValueTextEquals("strict"u8);
            reader.Read();
            if (nested && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadDefinition(ref reader, r);
            }
            else if (structural && reader.TokenType != JsonTokenType.StartObject && reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
            }
            else
            {
                r.AddAll(ref reader, FieldKind.ToolDefinition, -1, names: true);
            }
        }
    }

    // ---- the completions grammar ----

    private static bool ReadCompletionsProperty(ref Utf8JsonReader reader, Collected r, out RequestError? error)
    {
        error = null;
        if (reader.ValueTextEquals("prompt"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                r.Add(ref reader, FieldKind.Prompt, -1, text: true);
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                // Strings, or token ids (numbers, arrays of numbers): only strings carry text.
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        r.Add(ref reader, FieldKind.Prompt, -1, text: true);
                    }
                    else
                    {
                        r.Bytes += SkipCounting(ref reader);
                    }
                }
            }
            else
            {
                error = new RequestError("'prompt' must be a string or an array.", "prompt");
                return true;
            }

            r.HasInput = true;
            return true;
        }

        if (reader.ValueTextEquals("suffix"u8))
        {
            reader.Read();
            r.AddAll(ref reader, FieldKind.Suffix, -1, names: false);
            return true;
        }

        return false;
    }

    // ---- the embeddings grammar ----

    private static bool ReadEmbeddingsProperty(ref Utf8JsonReader reader, Collected r, out RequestError? error)
    {
        error = null;
        if (reader.ValueTextEquals("input"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                if (reader.ValueSpan.IsEmpty)
                {
                    error = new RequestError("'input' cannot be an empty string.", "input");
                    return true;
                }

                r.Add(ref reader, FieldKind.Prompt, -1, text: true);
                r.Inputs++;
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                // Strings, or one array of token ids, or arrays of them; token ids encode text the
                // exchange cannot read without the model's tokenizer, so they cross unscanned.
                int i = 0, strings = 0, arrays = 0;
                var ids = false;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType == JsonTokenType.String && !reader.ValueSpan.IsEmpty)
                    {
                        r.Add(ref reader, FieldKind.Prompt, -1, text: true);
                        strings++;
                    }
                    else if (reader.TokenType == JsonTokenType.Number)
                    {
                        ids = true;
                        r.Bytes += SkipCounting(ref reader);
                    }
                    else if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        arrays++;
                        r.Bytes += SkipCounting(ref reader);
                    }
                    else
                    {
                        error = new RequestError($"'input[{i}]' must be a non-empty string (or token ids).", $"input[{i}]");
                        return true;
                    }

                    i++;
                }

                if ((strings > 0 ? 1 : 0) + (ids ? 1 : 0) + (arrays > 0 ? 1 : 0) > 1)
                {
                    error = new RequestError("'input' must be strings, one array of token ids, or arrays of token ids: not a mix.", "input");
                    return true;
                }

                r.Inputs = ids ? 1 : arrays > 0 ? arrays : strings;
                for (var t = 0; t < (ids ? 1 : arrays); t++)
                {
                    r.NotScanned("tokens", -1);
                }

                if (i == 0 || i > MaxEmbeddingInputs)
                {
                    error = new RequestError($"'input' must hold 1 to {MaxEmbeddingInputs} items.", "input");
                    return true;
                }
            }
            else
            {
                error = new RequestError("'input' must be a string or an array of strings (or of token arrays).", "input");
                return true;
            }

            r.HasInput = true;
            return true;
        }

        if (reader.ValueTextEquals("encoding_format"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("float"u8) || reader.ValueTextEquals("base64"u8)))
            {
                r.Base64 = reader.ValueTextEquals("base64"u8);
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                error = new RequestError("'encoding_format' must be \"float\" or \"base64\".", "encoding_format");
            }

            return true;
        }

        if (reader.ValueTextEquals("dimensions"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var d) && d >= 1)
            {
                r.Dimensions = d;
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                error = new RequestError("'dimensions' must be a positive integer.", "dimensions");
            }

            return true;
        }

        return false;
    }

    /// <summary>The most inputs one embeddings request may hold (OpenAI's own limit).</summary>
    public const int MaxEmbeddingInputs = 2048;

    private static long SkipCounting(ref Utf8JsonReader reader)
    {
        var start = reader.TokenStartIndex;
        reader.Skip();
        return reader.BytesConsumed - start;
    }

    // ---- what every format shares ----

    /// <summary>Parameters of every OpenAI request format; a property no grammar knows has its
    /// strings collected (it crosses with the rest, so it is scanned with the rest).</summary>
    private static bool ReadCommonProperty(ref Utf8JsonReader reader, Collected r, out RequestError? error)
    {
        error = null;
        if (reader.ValueTextEquals("model"u8))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                error = new RequestError("'model' must be a string naming the model.", "model");
                return false;
            }

            r.Model = reader.GetString();
        }
        else if (reader.ValueTextEquals("stream"u8))
        {
            reader.Read();
            if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
            {
                r.Stream = reader.GetBoolean();
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                error = new RequestError("'stream' must be true or false.", "stream");
                return false;
            }
        }
        else if (reader.ValueTextEquals("stream_options"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isUsage = reader.ValueTextEquals("include_usage"u8);
                    reader.Read();
                    if (isUsage)
                    {
                        if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                        {
                            error = new RequestError("'stream_options.include_usage' must be true or false.", "stream_options.include_usage");
                            return false;
                        }

                        r.IncludeUsage = reader.GetBoolean();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                error = new RequestError("'stream_options' must be an object.", "stream_options");
                return false;
            }
        }
        else if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
        {
            var name = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.Null)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var mt) || mt < 1)
                {
                    error = new RequestError($"'{name}' must be a positive integer.", name);
                    return false;
                }

                r.MaxTokens = mt;
            }
        }
        else if (reader.ValueTextEquals("temperature"u8))
        {
            reader.Read();
            if (!Number(ref reader, "temperature", 0, 2, out var v, out error))
            {
                return false;
            }

            r.Temperature = v;
        }
        else if (reader.ValueTextEquals("top_p"u8))
        {
            reader.Read();
            if (!Number(ref reader, "top_p", 0, 1, out var v, out error))
            {
                return false;
            }

            r.TopP = v;
        }
        else if (reader.ValueTextEquals("seed"u8) || reader.ValueTextEquals("n"u8))
        {
            var isSeed = reader.ValueTextEquals("seed"u8);
            reader.Read();
            if (reader.TokenType != JsonTokenType.Null)
            {
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v) || (!isSeed && v < 1))
                {
                    error = isSeed ? new RequestError("'seed' must be an integer.", "seed") : new RequestError("'n' must be a positive integer.", "n");
                    return false;
                }

                if (isSeed)
                {
                    r.Seed = v;
                }
                else
                {
                    r.N = v;
                }
            }
        }
        else if (reader.ValueTextEquals("stop"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.String)
            {
                r.Stop.Add(r.Add(ref reader, FieldKind.Stop, -1));
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = new RequestError("'stop' must be a string or an array of strings.", "stop");
                        return false;
                    }

                    r.Stop.Add(r.Add(ref reader, FieldKind.Stop, -1));
                }
            }
            else if (reader.TokenType != JsonTokenType.Null)
            {
                error = new RequestError("'stop' must be a string or an array of strings.", "stop");
                return false;
            }
        }
        else if (reader.ValueTextEquals("provider"u8))
        {
            reader.Read();
            r.HasProvider = true;
            if (reader.TokenType != JsonTokenType.Null)
            {
                var parsed = ProviderPreferencesReader.Read(ref reader, out error);
                if (parsed is null)
                {
                    return false;
                }

                r.Preferences = parsed;
            }
        }
        else if (reader.ValueTextEquals("user"u8))
        {
            reader.Read();
            r.AddAll(ref reader, FieldKind.User, -1, names: false);
        }
        else if (reader.ValueTextEquals("metadata"u8))
        {
            reader.Read();
            r.AddAll(ref reader, FieldKind.Metadata, -1, names: false);
        }
        else if (Structural(ref reader))
        {
            reader.Read();
            reader.Skip();
        }
        else
        {
            reader.Read();
            r.AddAll(ref reader, FieldKind.Other, -1, names: true);
        }

        return true;
    }

    /// <summary>Parameters that are settings, never the buyer's data (numbers, enums, flags, token ids).</summary>
    private static bool Structural(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("presence_penalty"u8) || reader.ValueTextEquals("frequency_penalty"u8)
        || reader.ValueTextEquals("logit_bias"u8) || reader.ValueTextEquals("logprobs"u8) || reader.ValueTextEquals("top_logprobs"u8)
        || reader.ValueTextEquals("tool_choice"u8) || reader.ValueTextEquals("parallel_tool_calls"u8) || reader.ValueTextEquals("function_call"u8)
        || reader.ValueTextEquals("service_tier"u8) || reader.ValueTextEquals("store"u8) || reader.ValueTextEquals("reasoning_effort"u8)
        || reader.ValueTextEquals("modalities"u8) || reader.ValueTextEquals("audio"u8) || reader.ValueTextEquals("verbosity"u8)
        || reader.ValueTextEquals("echo"u8) || reader.ValueTextEquals("best_of"u8);

    private static bool Number(ref Utf8JsonReader reader, string name, double min, double max, out double? value, out RequestError? error)
    {
        value = null;
        error = null;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return true;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var v) || v < min || v > max)
        {
            error = new RequestError($"'{name}' must be a number from {min} to {max}.", name);
            return false;
        }

        value = v;
        return true;
    }

    private static InferenceRequest? Fail(out RequestError? error, string message, string? param)
    {
        error = new RequestError(message, param);
        return null;
    }

    /// <summary>What the pass has read so far.</summary>
    private sealed class Collected(bool isChat)
    {
        public readonly bool IsChat = isChat;
        public readonly List<DataField> Fields = [];
        public readonly List<string> Texts = [];
        public readonly List<PromptMessage> Messages = [];
        public readonly List<UnscannedPart> Unscanned = [];
        public readonly List<string> Stop = [];
        public string? Model;
        public bool Stream, IncludeUsage, HasProvider, HasInput;
        public long? MaxTokens, Seed, N;
        public int? Dimensions;
        public bool Base64, HasTools, StructuredOutput;
        public int Inputs;
        public double? Temperature, TopP;
        public long Bytes;
        public ProviderPreferences Preferences = ProviderPreferences.None;

        /// <summary>The string (or property name) the reader is on, as a field; returns its text.</summary>
        public string Add(ref Utf8JsonReader reader, FieldKind kind, int message, bool text = false)
        {
            var raw = reader.ValueSpan.Length; // the body is one span: never a sequence
            var value = reader.GetString()!;
            if (text)
            {
                Texts.Add(value);
            }

            if (raw > 0)
            {
                Fields.Add(new DataField(kind, message, (int)reader.TokenStartIndex, raw + 2, value));
                Bytes += raw;
            }

            return value;
        }

        /// <summary>Every string of the value the reader is on (and, with <paramref name="names"/>,
        /// every property name inside it), as fields; numbers, booleans and null carry no text.</summary>
        public void AddAll(ref Utf8JsonReader reader, FieldKind kind, int message, bool names)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                Add(ref reader, kind, message);
                return;
            }

            if (reader.TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
            {
                return;
            }

            var depth = reader.CurrentDepth;
            while (reader.Read())
            {
                if (reader.CurrentDepth == depth && reader.TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray)
                {
                    return;
                }

                if (reader.TokenType == JsonTokenType.String || (names && reader.TokenType == JsonTokenType.PropertyName))
                {
                    Add(ref reader, kind, message);
                }
            }
        }

        public void NotScanned(string kind, int message) => Unscanned.Add(new UnscannedPart(kind, message));
    }
}
