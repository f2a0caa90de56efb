using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>
/// Finds the top-level <c>usage</c> object of an OpenAI response or stream chunk and reads its
/// token counts without building a DOM. Never throws: malformed JSON simply yields no usage.
/// </summary>
public static class UsageReader
{
    public static bool TryRead(ReadOnlySpan<byte> json, out long promptTokens, out long completionTokens)
    {
        promptTokens = 0;
        completionTokens = 0;
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
                    reader.Read();
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
}
