using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>
/// Finds the top-level <c>usage</c> object of an OpenAI response or stream chunk and reads its
/// token counts without building a DOM. Never throws: malformed JSON simply yields no usage.
/// </summary>
public static class UsageReader
{
    private static readonly byte[] CachedName = "cached_tokens"u8.ToArray();
    private static readonly byte[] ReasoningName = "reasoning_tokens"u8.ToArray();

    public static bool TryRead(ReadOnlySpan<byte> json, out long promptTokens, out long completionTokens) =>
        TryRead(json, out promptTokens, out completionTokens, out _, out _);

    /// <summary>Also the cached part of the input (<c>prompt_tokens_details.cached_tokens</c>) and the
    /// reasoning part of the output (<c>completion_tokens_details.reasoning_tokens</c>), 0 when absent.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out long promptTokens, out long completionTokens, out long cachedTokens, out long reasoningTokens)
    {
        promptTokens = 0;
        completionTokens = 0;
        cachedTokens = 0;
        reasoningTokens = 0;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { AllowTrailingCommas = true });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                if (!reader.Read())
                {
                    return false;
                }

                if (!isUsage || reader.TokenType != JsonTokenType.StartObject)
                {
                    reader.Skip();
                    continue;
                }

                var found = false;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isPrompt = reader.ValueTextEquals("prompt_tokens"u8);
                    var isCompletion = reader.ValueTextEquals("completion_tokens"u8);
                    var details = reader.ValueTextEquals("prompt_tokens_details"u8) ? CachedName
                        : reader.ValueTextEquals("completion_tokens_details"u8) ? ReasoningName : null;
                    reader.Read();
                    if (details is not null && reader.TokenType == JsonTokenType.StartObject)
                    {
                        var part = ReadDetail(ref reader, details);
                        if (details[0] == (byte)'c')
                        {
                            cachedTokens = part;
                        }
                        else
                        {
                            reasoningTokens = part;
                        }

                        continue;
                    }

                    if (reader.TokenType == JsonTokenType.Number && (isPrompt || isCompletion))
                    {
                        if (isPrompt)
                        {
                            promptTokens = reader.GetInt64();
                        }
                        else
                        {
                            completionTokens = reader.GetInt64();
                        }

                        found = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return found;
            }
        }
        catch (JsonException)
        {
        }
        catch (FormatException)
        {
        }

        return false;
    }

    /// <summary>One count inside a details object (the reader on its start); 0 when absent or not a sane number.</summary>
    private static long ReadDetail(ref Utf8JsonReader reader, byte[] name)
    {
        long value = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var wanted = reader.ValueTextEquals(name);
            reader.Read();
            if (wanted && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var n) && n >= 0)
            {
                value = n;
            }
            else
            {
                reader.Skip();
            }
        }

        return value;
    }
}
