using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

internal static class BearerToken
{
    /// <summary>The token of an <c>Authorization: Bearer</c> header, else of an <c>x-api-key</c>
    /// header (Anthropic's clients send the key there), or empty.</summary>
    public static ReadOnlySpan<char> From(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return header.Count == 0 && request.Headers["x-api-key"] is { Count: 1 } apiKey ? apiKey[0].AsSpan().Trim() : default;
        }

        var value = header[0].AsSpan().Trim();
        return value.Length > 7 && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : default;
    }
}
