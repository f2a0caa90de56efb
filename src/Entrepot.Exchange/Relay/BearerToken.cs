using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

internal static class BearerToken
{
    /// <summary>The token of an <c>Authorization: Bearer</c> header, or empty.</summary>
    public static ReadOnlySpan<char> From(HttpRequest request)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1)
        {
            return default;
        }

        var value = header[0].AsSpan().Trim();
        return value.Length > 7 && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : default;
    }
}
