using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>The generated text in a response: every choice's message content or text (whole
/// responses) or delta (stream events). The input to the exchange's own output-token count.
/// Property names are found by their bytes and only their string values are read (a full JSON read
/// of every stream event was a tenth of a streamed request's CPU, docs/PERFORMANCE.md); a quote
/// preceded by an escape is no property name, so text inside strings is never taken for one.</summary>
public static class CompletionText
{
    /// <summary>The UTF-8 length of the generated text of a whole response.</summary>
    public static long Utf8Length(ReadOnlySpan<byte> response)
    {
        long total = 0;
        var at = 0;
        while (NextText(response, ref at, out var reader))
        {
            total += reader.ValueSpan.Length;
        }

        return total;
    }

    /// <summary>The generated text of a whole response (every choice's content or text, in order).</summary>
    public static string Extract(ReadOnlySpan<byte> response)
    {
        System.Text.StringBuilder? text = null;
        string? only = null;
        var at = 0;
        while (NextText(response, ref at, out var reader))
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
        var at = 0;
        while (NextText(eventPayload, ref at, out var reader))
        {
            text.Append(reader.GetString());
        }
    }

    /// <summary>From <paramref name="at"/>, the next string value of a "content" or "text" property,
    /// as a reader standing on it; false when there is none.</summary>
    private static bool NextText(ReadOnlySpan<byte> json, ref int at, out Utf8JsonReader value)
    {
        while (at < json.Length)
        {
            // Both names end in t": one pass finds either (two searches per name found rescanned the
            // rest of the body for the other name each time, quadratic in a body full of one of them).
            var end = json[at..].IndexOf("t\""u8);
            if (end < 0)
            {
                break;
            }

            end += at;
            at = end + 2;
            var key = json[..(end + 2)].EndsWith("\"content\""u8) ? end - 7
                : json[..(end + 2)].EndsWith("\"text\""u8) ? end - 4
                : -1;
            if (key < 0 || Escaped(json, key))
            {
                continue;
            }

            var colon = SkipSpace(json, at);
            if (colon >= json.Length || json[colon] != (byte)':')
            {
                continue; // a value such as "type":"text", not a property name
            }

            var quote = SkipSpace(json, colon + 1);
            if (quote >= json.Length || json[quote] != (byte)'"')
            {
                continue; // null, an array of parts, a number
            }

            var reader = new Utf8JsonReader(json[quote..]);
            try
            {
                if (!reader.Read() || reader.TokenType != JsonTokenType.String)
                {
                    continue;
                }
            }
            catch (JsonException)
            {
                break; // the string never ends: the body stops being JSON here
            }

            at = quote + (int)reader.BytesConsumed;
            value = reader;
            return true;
        }

        at = json.Length;
        value = default;
        return false;
    }

    /// <summary>Whether the quote at <paramref name="quote"/> is escaped (an odd run of backslashes before it).</summary>
    private static bool Escaped(ReadOnlySpan<byte> json, int quote)
    {
        var backslashes = 0;
        for (var i = quote - 1; i >= 0 && json[i] == (byte)'\\'; i--)
        {
            backslashes++;
        }

        return backslashes % 2 == 1;
    }

    private static int SkipSpace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            i++;
        }

        return i;
    }
}
