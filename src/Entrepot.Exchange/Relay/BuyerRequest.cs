using Entrepot.Core.Border.Policy;
using Entrepot.Core.Protocol;
using Microsoft.Net.Http.Headers;

namespace Entrepot.Exchange.Relay;

/// <summary>What the buyer asked for, read from the body and the headers that shape the request
/// (its content type, routing preferences, the declared number of people), or the 400 that says
/// what is wrong. Plain values in and out: the relay writes the refusal.</summary>
internal sealed record BuyerRequest(InferenceRequest Request, long? DeclaredSubjects)
{
    public static BuyerRequest? Read(ReadOnlySpan<byte> body, EndpointKind kind, string? contentType, string? preferences, string? subjects, out RequestError? error)
    {
        if (!IsJson(contentType))
        {
            error = new RequestError($"The request body must be JSON: send 'Content-Type: application/json' (got '{contentType}').", "Content-Type", "invalid_content_type");
            return null;
        }

        var request = InferenceRequestParser.Parse(body, kind, out error);
        if (request is null)
        {
            return null;
        }

        if (preferences is not null)
        {
            // The provider object for clients that cannot add body fields: the same JSON, given once.
            if (request.HasProviderObject)
            {
                error = new RequestError($"Provider preferences are given twice: in the body's 'provider' and in the {ProviderPreferencesReader.Header} header; give them once.",
                    ProviderPreferencesReader.Header);
                return null;
            }

            if (ProviderPreferencesReader.FromHeader(preferences, out error) is not { } prefs)
            {
                return null;
            }

            request = request.WithPreferences(prefs);
        }

        long? declared = null;
        if (subjects is not null)
        {
            if (!long.TryParse(subjects, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n)
                || n < 1 || n > PolicyEngine.MaxDeclaredSubjects)
            {
                error = new RequestError($"The {PolicyEngine.SubjectsHeader} header must be a whole number of people from 1 to {PolicyEngine.MaxDeclaredSubjects} (split larger data across requests).",
                    PolicyEngine.SubjectsHeader, "invalid_data_subjects");
                return null;
            }

            declared = n;
        }

        return new BuyerRequest(request, declared);
    }

    /// <summary>JSON in UTF-8: application/json or a +json type, with no charset or UTF-8's. A request
    /// without a Content-Type is read as JSON (as the API's own clients' bodies are).</summary>
    private static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || contentType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return true; // the common cases, without parsing
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? "";
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        var charset = media.Charset.Value;
        return json && (string.IsNullOrEmpty(charset) || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));
    }
}
