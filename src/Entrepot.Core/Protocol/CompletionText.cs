using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>The generated text in a response: every choice's message content or text (whole
/// responses) or delta (stream events). The input to the exchange's own output-token count. A body
/// that stops being JSON counts what was read before.</summary>
public static class CompletionText
{
    /// <summary>The UTF-8 length of the generated text of a whole response.</summary>
    public static long Utf8Length(ReadOnlySpan<byte> response)
    {
        long total = 0;
        var reader = new Utf8JsonReader(response);
        while (NextText(ref reader))
        {
            total += reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        }

        return total;
    }

    /// <summary>The generated text of a whole response (every choice's content or text, in order).</summary>
    public static string Extract(ReadOnlySpan<byte> response)
    {
        System.Text.StringBuilder? text = null;
        string? only = null;
        var reader = new Utf8JsonReader(response);
        while (NextText(ref reader))
        {
            var piece = reader.GetString()!;
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

        return text?.ToString() ?? only ?? "";
    }

    /// <summary>Appends the content of one stream event's deltas (or text) to <paramref name="text"/>.</summary>
    public static void AppendDeltas(ReadOnlySpan<byte> eventPayload, System.Text.StringBuilder text)
    {
        var reader = new Utf8JsonReader(eventPayload);
        while (NextText(ref reader))
        {
            text.Append(reader.GetString());
        }
    }

    /// <summary>Moves to the next string value of a "content" or "text" property; false at the end
    /// or where the body stops being JSON.</summary>
    private static bool NextText(ref Utf8JsonReader reader)
    {
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8))
                    && reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
        }

        return false;
    }
}
