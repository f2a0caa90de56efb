using System.Text.Json;

namespace Entrepot.Core.Protocol.Doors;

/// <summary>
/// Everything in a Responses or Messages request as the buyer sent it that could carry the buyer's
/// data, for a seller that speaks the door natively and gets the body unchanged: every string value
/// (with its byte position, so the border can scan it) but the few that only name a structure, and
/// the images and files in it as content the border cannot read. Deliberately wider than the door's
/// grammar: fields a translation leaves out (metadata, reasoning handed back, thinking blocks) cross
/// to a native seller, so they are scanned too.
/// </summary>
public static class DoorBody
{
    /// <summary>Property names whose string values only name a structure (a type, a role, a model).</summary>
    private static readonly HashSet<string> Structural =
        ["model", "type", "role", "status", "detail", "media_type", "tool_choice", "truncation", "service_tier", "anthropic_version", "mode"];

    public static PromptContent Read(ReadOnlySpan<byte> body)
    {
        var fields = new List<DataField>();
        var unscanned = new List<UnscannedPart>();
        var texts = new List<string>();
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        string? property = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        continue;
                    case JsonTokenType.String:
                        var value = reader.GetString()!;
                        if (property is "file_data" || (property is "data" && value.Length > 256) || value.StartsWith("data:", StringComparison.Ordinal))
                        {
                            // An image or a file, inline: content the scanner cannot read.
                            unscanned.Add(new UnscannedPart(property == "file_data" ? "file" : "image", -1));
                        }
                        else if (property is null || !Structural.Contains(property))
                        {
                            fields.Add(new DataField(FieldKind.Other, -1, (int)reader.TokenStartIndex, reader.ValueSpan.Length + 2, value));
                            texts.Add(value);
                        }

                        break;
                }

                if (reader.TokenType != JsonTokenType.StartObject && reader.TokenType != JsonTokenType.StartArray)
                {
                    property = null;
                }
            }
        }
        catch (JsonException)
        {
            // The door's reader has already checked the body; nothing here is new.
        }

        return new PromptContent(texts, [], false, fields, unscanned);
    }
}
