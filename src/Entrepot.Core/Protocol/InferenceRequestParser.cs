using System.Text.Json;
using Entrepot.Core.Routing;

namespace Entrepot.Core.Protocol;

/// <summary>
/// Validates the parts of a chat or completions request the exchange depends on and reads them
/// with <see cref="Utf8JsonReader"/>. Every failure names the field and what was expected;
/// nothing here throws on any input.
/// </summary>
public static class InferenceRequestParser
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    public static InferenceRequest? Parse(ReadOnlySpan<byte> body, EndpointKind kind, out RequestError? error)
    {
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

        string? model = null;
        bool stream = false, includeUsage = false, hasProvider = false, hasInput = false;
        long? maxTokens = null;
        long promptBytes = 0;
        var prefs = ProviderPreferences.None;

        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return Fail(out error, "'model' must be a string naming the model.", "model");
                }

                model = reader.GetString();
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                if (reader.TokenType is JsonTokenType.True or JsonTokenType.False)
                {
                    stream = reader.GetBoolean();
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    return Fail(out error, "'stream' must be true or false.", "stream");
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
                                return Fail(out error, "'stream_options.include_usage' must be true or false.", "stream_options.include_usage");
                            }

                            includeUsage = reader.GetBoolean();
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                }
                else if (reader.TokenType != JsonTokenType.Null)
                {
                    return Fail(out error, "'stream_options' must be an object.", "stream_options");
                }
            }
            else if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
            {
                var name = reader.GetString()!;
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var mt) || mt < 1)
                {
                    return Fail(out error, $"'{name}' must be a positive integer.", name);
                }

                maxTokens = mt;
            }
            else if (kind == EndpointKind.ChatCompletions && reader.ValueTextEquals("messages"u8))
            {
                reader.Read();
                if (!ReadMessages(ref reader, out promptBytes, out error))
                {
                    return null;
                }

                hasInput = true;
            }
            else if (kind == EndpointKind.Completions && reader.ValueTextEquals("prompt"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    promptBytes = reader.ValueSpan.Length;
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    var start = reader.TokenStartIndex;
                    reader.Skip();
                    promptBytes = reader.BytesConsumed - start;
                }
                else
                {
                    return Fail(out error, "'prompt' must be a string or an array.", "prompt");
                }

                hasInput = true;
            }
            else if (reader.ValueTextEquals("provider"u8))
            {
                reader.Read();
                hasProvider = true;
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                var parsed = ProviderPreferencesReader.Read(ref reader, out error);
                if (parsed is null)
                {
                    return null;
                }

                prefs = parsed;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            return Fail(out error, "'model' is required.", "model");
        }

        if (!hasInput)
        {
            return kind == EndpointKind.ChatCompletions
                ? Fail(out error, "'messages' is required: a non-empty array of {role, content} objects.", "messages")
                : Fail(out error, "'prompt' is required.", "prompt");
        }

        return new InferenceRequest
        {
            Kind = kind,
            Model = model,
            Stream = stream,
            IncludeUsage = includeUsage,
            MaxTokens = maxTokens,
            Preferences = prefs,
            HasProviderObject = hasProvider,
            PromptTextBytes = promptBytes,
        };
    }

    private static bool ReadMessages(ref Utf8JsonReader reader, out long textBytes, out RequestError? error)
    {
        textBytes = 0;
        error = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = new RequestError("'messages' must be an array of {role, content} objects.", "messages");
            return false;
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                error = new RequestError($"'messages[{index}]' must be an object with 'role' and 'content'.", $"messages[{index}]");
                return false;
            }

            var hasRole = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isRole = reader.ValueTextEquals("role"u8);
                var isContent = reader.ValueTextEquals("content"u8);
                reader.Read();
                if (isRole)
                {
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        error = new RequestError($"'messages[{index}].role' must be a string.", $"messages[{index}].role");
                        return false;
                    }

                    hasRole = true;
                }
                else if (isContent && reader.TokenType == JsonTokenType.String)
                {
                    textBytes += reader.ValueSpan.Length;
                }
                else
                {
                    var start = reader.TokenStartIndex;
                    reader.Skip();
                    if (isContent)
                    {
                        textBytes += reader.BytesConsumed - start;
                    }
                }
            }

            if (!hasRole)
            {
                error = new RequestError($"'messages[{index}].role' is required.", $"messages[{index}].role");
                return false;
            }

            index++;
        }

        if (index == 0)
        {
            error = new RequestError("'messages' must not be empty.", "messages");
            return false;
        }

        return true;
    }

    private static InferenceRequest? Fail(out RequestError? error, string message, string param)
    {
        error = new RequestError(message, param);
        return null;
    }
}
