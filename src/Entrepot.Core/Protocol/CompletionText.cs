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

    /// <summary>The generated text of a whole response (every choice's content or text, in order), for
    /// the exchange's own token count.</summary>
    public static string Extract(ReadOnlySpan<byte> response)
    {
        System.Text.StringBuilder? text = null;
        string? only = null;
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
                        Append(reader.GetString()!, ref only, ref text);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // What was read so far is counted.
        }

        return text?.ToString() ?? only ?? "";
    }

    /// <summary>Appends the content of one stream event's deltas (or text) to <paramref name="text"/>.</summary>
    public static void AppendDeltas(ReadOnlySpan<byte> eventPayload, System.Text.StringBuilder text)
    {
        var reader = new Utf8JsonReader(eventPayload);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8)))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        text.Append(reader.GetString());
                    }
                }
            }
        }
        catch (JsonException)
        {
            // A malformed event adds what was read.
        }
    }

    private static void Append(string piece, ref string? only, ref System.Text.StringBuilder? text)
    {
        if (text is not null)
        {
            text.Append(piece);
        }
        else if (only is null)
        {
            only = piece;
        }
        else
        {
            text = new System.Text.StringBuilder(only).Append(piece);
        }
    }
}
