using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>The UTF-8 length of the generated text in a whole (non-streaming) response: every
/// choice's message content or text. The input to the exchange's own output-token estimate.</summary>
public static class CompletionText
{
    public static long Utf8Length(ReadOnlySpan<byte> response)
    {
        long total = 0;
        var reader = new Utf8JsonReader(response);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8)))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        total += reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
                    }
                }
            }
        }
        catch (JsonException)
        {
            // What was read so far is the estimate's input.
        }

        return total;
    }
}
