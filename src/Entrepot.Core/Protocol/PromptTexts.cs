using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>
/// The texts of a request that carry the buyer's data, in document order: each message's content
/// (a string, or the "text" of its text parts) for chat, the prompt (a string or strings) for
/// completions; for chat also each message's role and which texts are its own (what a chat template
/// needs to count the prompt's tokens). Read with a forward-only reader; the body was already
/// validated by the parser.
/// </summary>
public static class PromptTexts
{
    public static List<string> Extract(ReadOnlySpan<byte> body, EndpointKind kind) => (List<string>)Read(body, kind).Texts;

    public static PromptContent Read(ReadOnlySpan<byte> body, EndpointKind kind)
    {
        var texts = new List<string>();
        var messages = kind == EndpointKind.ChatCompletions ? new List<PromptMessage>() : null;
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Skip });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return new PromptContent(texts, [], kind == EndpointKind.ChatCompletions);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (kind == EndpointKind.ChatCompletions && reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    ReadMessages(ref reader, texts, messages!);
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

        return new PromptContent(texts, messages ?? (IReadOnlyList<PromptMessage>)[], kind == EndpointKind.ChatCompletions);
    }

    private static void ReadMessages(ref Utf8JsonReader reader, List<string> texts, List<PromptMessage> messages)
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

            var first = texts.Count;
            var role = "user";
            string? name = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool content = reader.ValueTextEquals("content"u8);
                bool isRole = reader.ValueTextEquals("role"u8);
                bool isName = reader.ValueTextEquals("name"u8);
                reader.Read();
                if (content)
                {
                    ReadContent(ref reader, texts);
                }
                else if (isRole && reader.TokenType == JsonTokenType.String)
                {
                    role = Role(ref reader);
                }
                else if (isName && reader.TokenType == JsonTokenType.String)
                {
                    name = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }

            messages.Add(new PromptMessage(role, first, texts.Count - first, name));
        }
    }

    /// <summary>The API's roles as shared strings (no allocation per message); others as read.</summary>
    private static string Role(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("user"u8) ? "user"
        : reader.ValueTextEquals("assistant"u8) ? "assistant"
        : reader.ValueTextEquals("system"u8) ? "system"
        : reader.ValueTextEquals("developer"u8) ? "developer"
        : reader.ValueTextEquals("tool"u8) ? "tool"
        : reader.GetString()!;

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
