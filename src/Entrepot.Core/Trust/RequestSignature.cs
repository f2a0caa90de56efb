using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Entrepot.Core.Trust;

/// <summary>
/// The exchange's identity on a request to an exporter node: an Ed25519 signature over the
/// method, path, a timestamp, the request id and the SHA-256 of the body, in three headers. A node
/// that lists trusted exchanges serves only requests whose signature verifies with one of their
/// keys and whose timestamp is within five minutes.
/// </summary>
public static class RequestSignature
{
    public const string KeyHeader = "Entrepot-Exchange-Key";
    public const string TimestampHeader = "Entrepot-Exchange-Timestamp";
    public const string SignatureHeader = "Entrepot-Exchange-Signature";
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public static byte[] Message(string method, string path, long timestamp, string requestId, string bodySha256) =>
        Encoding.UTF8.GetBytes($"entrepot-request:{method}:{path}:{timestamp.ToString(CultureInfo.InvariantCulture)}:{requestId}:{bodySha256}");

    /// <param name="bodySha256">Hex SHA-256 of the body: the caller usually needs it anyway (receipts).</param>
    public static (string KeyId, string Timestamp, string Signature) Sign(SigningKey key, string method, string path, DateTimeOffset now, string requestId, string bodySha256)
    {
        long ts = now.ToUnixTimeSeconds();
        return (key.KeyId, ts.ToString(CultureInfo.InvariantCulture), Receipts.Base64Url(key.Sign(Message(method, path, ts, requestId, bodySha256))));
    }

    public static (string KeyId, string Timestamp, string Signature) Sign(SigningKey key, string method, string path, DateTimeOffset now, string requestId, ReadOnlySpan<byte> body) =>
        Sign(key, method, path, now, requestId, Convert.ToHexStringLower(SHA256.HashData(body)));

    /// <summary>Null when a trusted exchange signed this request recently; else why it is refused.</summary>
    public static string? Check(IReadOnlyDictionary<string, byte[]> trusted, string? keyId, string? timestamp, string? signature,
        string method, string path, string requestId, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        Verify(trusted, keyId, timestamp, signature, method, path, requestId, body, now) switch
        {
            SignatureFault.None => null,
            SignatureFault.Missing => $"This node serves only its trusted exchanges: the request carries no exchange signature ({KeyHeader}, {TimestampHeader}, {SignatureHeader}).",
            SignatureFault.UnknownKey => $"This node serves only its trusted exchanges: key {keyId} is not one of them.",
            SignatureFault.Stale => "The exchange signature is older (or newer) than five minutes.",
            _ => "The exchange signature does not match this request.",
        };

    /// <summary>What is wrong with a signed request, if anything: the check every signer's messages share
    /// (an exchange's requests to its nodes, a node's heartbeats to its exchanges).</summary>
    public static SignatureFault Verify(IReadOnlyDictionary<string, byte[]> trusted, string? keyId, string? timestamp, string? signature,
        string method, string path, string requestId, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(keyId) || string.IsNullOrEmpty(signature) || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var ts))
        {
            return SignatureFault.Missing;
        }

        if (!trusted.TryGetValue(keyId, out var publicKey))
        {
            return SignatureFault.UnknownKey;
        }

        if ((now - DateTimeOffset.FromUnixTimeSeconds(ts)).Duration() > Window)
        {
            return SignatureFault.Stale;
        }

        var sig = Receipts.FromBase64Url(signature);
        return sig is not null && SigningKey.Verify(publicKey, Message(method, path, ts, requestId, Convert.ToHexStringLower(SHA256.HashData(body))), sig)
            ? SignatureFault.None
            : SignatureFault.Mismatch;
    }
}

public enum SignatureFault
{
    None,
    Missing,
    UnknownKey,
    Stale,
    Mismatch,
}
