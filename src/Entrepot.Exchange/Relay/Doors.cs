using Entrepot.Core.Protocol;
using Entrepot.Core.Protocol.Doors;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

/// <summary>The API a buyer came in by. Chat completions, completions and embeddings are the
/// exchange's own (<see cref="Native"/>); the others are translated at the edge.</summary>
public enum Door
{
    Native,
    Responses,
    Messages,
}

/// <summary>Reads a request that came in by another door into its chat translation.</summary>
internal static class Doors
{
    private static readonly object AnthropicShape = new();

    public static DoorTranslation? Translate(Door door, ReadOnlySpan<byte> body, string? anthropicVersion, out RequestError? error)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            error = new RequestError("The request body is not valid UTF-8; send JSON encoded as UTF-8.", null, "invalid_encoding");
            return null;
        }

        return door switch
        {
            Door.Responses => ResponsesDoor.Read(body, out error),
            Door.Messages => MessagesDoor.Read(body, anthropicVersion, out error),
            _ => throw new ArgumentOutOfRangeException(nameof(door)),
        };
    }

    /// <summary>Marks a request whose errors are written in Anthropic's shape.</summary>
    public static void SpeakAnthropic(HttpContext ctx) => ctx.Items[AnthropicShape] = AnthropicShape;

    public static bool SpeaksAnthropic(HttpContext ctx) => ctx.Items.ContainsKey(AnthropicShape);
}
