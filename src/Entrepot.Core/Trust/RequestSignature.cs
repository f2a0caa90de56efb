using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Entrepot.Core.Trust;

/// <summary>
/// A signed request between Entrepot's parties: the exchange's requests to its exporter nodes, and
/// the nodes' heartbeats to the exchange. An Ed25519 signature in three headers over
/// <code>
/// entrepot-request-v2 \n METHOD \n PATH?QUERY \n AUDIENCE \n TIMESTAMP \n REQUEST-ID \n SHA256(BODY) \n
/// every other Entrepot-* header as "name:value\n", names in lower case, sorted
/// </code>
/// so the signature covers who the request is for (the node's id: a request captured at one node
/// cannot be played at another), every header that carries meaning (attempt, quote, buyer), the
/// body, and a request id unique per attempt, which the receiver keeps for the freshness window
/// (<see cref="ReplayCache"/>) so a second use is refused. The timestamp must be within
/// <see cref="Window"/> of the receiver's clock.
/// </summary>
public static class RequestSignature
{
    public const string KeyHeader = "Entrepot-Exchange-Key";
    public const string TimestampHeader = "Entrepot-Exchange-Timestamp";
    public const string SignatureHeader = "Entrepot-Exchange-Signature";
    public const string RequestIdHeader = "Entrepot-Request-Id";

    /// <summary>The party a request is for: an exporter node's id (the seller id the exchange lists it under).</summary>
    public const string AudienceHeader = "Entrepot-Seller";

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>The bytes signed.</summary>
    public static byte[] Message(string method, string pathAndQuery, string audience, long timestamp, string requestId, string bodySha256,
        IEnumerable<KeyValuePair<string, string>> headers)
    {
        var sb = new StringBuilder(256);
        sb.Append("entrepot-request-v2\n").Append(method).Append('\n').Append(pathAndQuery).Append('\n').Append(audience).Append('\n')
            .Append(timestamp.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(requestId).Append('\n').Append(bodySha256).Append('\n');
        foreach (var (name, value) in Covered(headers))
        {
            sb.Append(name).Append(':').Append(value).Append('\n');
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>The Entrepot-* headers a signature covers (all but its own three), named in lower case, sorted.</summary>
    public static IEnumerable<(string Name, string Value)> Covered(IEnumerable<KeyValuePair<string, string>> headers) => headers
        .Where(h => h.Key.StartsWith("Entrepot-", StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals(KeyHeader, StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals(TimestampHeader, StringComparison.OrdinalIgnoreCase)
            && !h.Key.Equals(SignatureHeader, StringComparison.OrdinalIgnoreCase))
        .Select(h => (h.Key.ToLowerInvariant(), h.Value.Trim()))
        .OrderBy(h => h.Item1, StringComparer.Ordinal);

    /// <param name="headers">Every Entrepot-* header the request carries (the signature covers them).</param>
    /// <param name="bodySha256">Hex SHA-256 of the body: the caller usually needs it anyway (receipts).</param>
    public static (string KeyId, string Timestamp, string Signature) Sign(SigningKey key, string method, string pathAndQuery, string audience, DateTimeOffset now,
        string requestId, string bodySha256, IEnumerable<KeyValuePair<string, string>> headers)
    {
        long ts = now.ToUnixTimeSeconds();
        return (key.KeyId, ts.ToString(CultureInfo.InvariantCulture),
            Receipts.Base64Url(key.Sign(Message(method, pathAndQuery, audience, ts, requestId, bodySha256, headers))));
    }

    public static (string KeyId, string Timestamp, string Signature) Sign(SigningKey key, string method, string pathAndQuery, string audience, DateTimeOffset now,
        string requestId, ReadOnlySpan<byte> body, IEnumerable<KeyValuePair<string, string>> headers) =>
        Sign(key, method, pathAndQuery, audience, now, requestId, Convert.ToHexStringLower(SHA256.HashData(body)), headers);

    /// <summary>
    /// What can be checked before the body has arrived: the three headers present, the key trusted,
    /// the timestamp fresh, and the request meant for <paramref name="audience"/> (when given).
    /// </summary>
    public static SignatureFault PreCheck(IReadOnlyDictionary<string, byte[]> trusted, string? keyId, string? timestamp, string? signature,
        string? requestAudience, string? audience, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(keyId) || string.IsNullOrEmpty(signature) || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
        {
            return SignatureFault.Missing;
        }

        if (!trusted.ContainsKey(keyId))
        {
            return SignatureFault.UnknownKey;
        }

        // Seconds far outside any date are simply not fresh (never an exception).
        if (ts > now.ToUnixTimeSeconds() + (long)Window.TotalSeconds || ts < now.ToUnixTimeSeconds() - (long)Window.TotalSeconds)
        {
            return SignatureFault.Stale;
        }

        return audience is not null && !string.Equals(requestAudience, audience, StringComparison.Ordinal) ? SignatureFault.WrongAudience : SignatureFault.None;
    }

    /// <summary>What is wrong with a signed request, if anything (<see cref="PreCheck"/>, then the signature over everything).</summary>
    public static SignatureFault Verify(IReadOnlyDictionary<string, byte[]> trusted, IEnumerable<KeyValuePair<string, string>> headers, string method, string pathAndQuery,
        string? audience, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var all = headers.ToList();
        string? Header(string name) => all.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
        var keyId = Header(KeyHeader);
        var timestamp = Header(TimestampHeader);
        var signature = Header(SignatureHeader);
        var pre = PreCheck(trusted, keyId, timestamp, signature, Header(AudienceHeader), audience, now);
        if (pre != SignatureFault.None)
        {
            return pre;
        }

        var ts = long.Parse(timestamp!, NumberStyles.None, CultureInfo.InvariantCulture);
        var sig = Receipts.FromBase64Url(signature);
        var message = Message(method, pathAndQuery, audience ?? Header(AudienceHeader) ?? "", ts, Header(RequestIdHeader) ?? "",
            Convert.ToHexStringLower(SHA256.HashData(body)), all);
        return sig is not null && SigningKey.Verify(trusted[keyId!], message, sig) ? SignatureFault.None : SignatureFault.Mismatch;
    }

    /// <summary>The refusal a node gives for a fault, for its 401.</summary>
    public static string Explain(SignatureFault fault, string? keyId) => fault switch
    {
        SignatureFault.Missing => $"This node serves only its trusted exchanges: the request carries no exchange signature ({KeyHeader}, {TimestampHeader}, {SignatureHeader}).",
        SignatureFault.UnknownKey => $"This node serves only its trusted exchanges: key {keyId} is not one of them.",
        SignatureFault.Stale => $"The exchange signature's timestamp is more than {Window.TotalMinutes:0} minutes from this node's clock.",
        SignatureFault.WrongAudience => $"The request was signed for another node ({AudienceHeader}).",
        SignatureFault.Replayed => "This signed request was already served: a request id is used once.",
        _ => "The exchange signature does not match this request.",
    };
}

public enum SignatureFault
{
    None,
    Missing,
    UnknownKey,
    Stale,
    Mismatch,
    WrongAudience,
    Replayed,
}
