using Entrepot.Core.Trust;

namespace Entrepot.Tests;

/// <summary>Signs a request as the exchange signs its requests to a node: for that node, over the
/// body and every Entrepot-* header already on the request (add them first).</summary>
internal static class SignedRequest
{
    public static HttpRequestMessage Sign(this HttpRequestMessage message, SigningKey key, string node, byte[] body, string requestId, DateTimeOffset? at = null)
    {
        message.Headers.Remove(RequestSignature.RequestIdHeader);
        message.Headers.Remove(RequestSignature.AudienceHeader);
        message.Headers.Add(RequestSignature.RequestIdHeader, requestId);
        message.Headers.Add(RequestSignature.AudienceHeader, node);
        var headers = message.Headers.Where(h => h.Key.StartsWith("Entrepot-", StringComparison.OrdinalIgnoreCase))
            .Select(h => KeyValuePair.Create(h.Key, string.Join(",", h.Value))).ToList();
        var (kid, ts, sig) = RequestSignature.Sign(key, message.Method.Method, message.RequestUri!.IsAbsoluteUri ? message.RequestUri.PathAndQuery : "/" + message.RequestUri.OriginalString.TrimStart('/'),
            node, at ?? DateTimeOffset.UtcNow, requestId, body, headers);
        message.Headers.Add(RequestSignature.KeyHeader, kid);
        message.Headers.Add(RequestSignature.TimestampHeader, ts);
        message.Headers.Add(RequestSignature.SignatureHeader, sig);
        return message;
    }
}
