using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>
/// The texts of a request that carry the buyer's data, in document order: each message's content
/// (a string, or the "text" of its text parts) for chat, the prompt (a string or strings) for
/// completions. Read with a forward-only reader; the body was already validated by the parser.
/// </summary>
public static class PromptTexts
{
    public static List<string> Extract(ReadOnlySpan<byte> body, EndpointKind kind)
    {
        var texts = new List<string>();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return texts;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (kind == EndpointKind.ChatCompletions && reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    ReadMessages(ref reader, texts);
                }
                else if (kind == EndpointKind.Completions && reader.ValueTextEquals("prompt"u8))
                {
                    reader.Read();
                    ReadStrings(ref reader, texts);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // The parser has accepted the body; a reader error here leaves what was read.
        }

        return texts;
    }

    private static void ReadMessages(ref Utf8JsonReader reader, List<string> texts)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool content = reader.ValueTextEquals("content"u8);
                reader.Read();
                if (content)
                {
                    ReadContent(ref reader, texts);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }

    private static void ReadContent(ref Utf8JsonReader reader, List<string> texts)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            texts.Add(reader.GetString()!);
            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool text = reader.ValueTextEquals("text"u8);
                reader.Read();
                if (text && reader.TokenType == JsonTokenType.String)
                {
                    texts.Add(reader.GetString()!);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
    }

    private static void ReadStrings(ref Utf8JsonReader reader, List<string> texts)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            texts.Add(reader.GetString()!);
        }
        else if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.String)
                {
                    texts.Add(reader.GetString()!);
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        else
        {
            reader.Skip();
        }
    }
}
