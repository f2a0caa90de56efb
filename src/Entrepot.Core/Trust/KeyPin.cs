namespace Entrepot.Core.Trust;

/// <summary>
/// A pinned public key: the whole key (base64url, as <c>/.well-known/entrepot/keys</c> serves it)
/// compared byte for byte, or, as older configurations wrote it, a 16-hex-digit key id (the first 64
/// bits of the key's SHA-256) compared with the id of the key presented.
/// </summary>
public static class KeyPin
{
    public static bool IsKeyId(string pin) => pin.Length == 16 && pin.All(char.IsAsciiHexDigit);

    /// <summary>Whether <paramref name="publicKey"/> is the pinned key.</summary>
    public static bool Matches(string pin, ReadOnlySpan<byte> publicKey)
    {
        if (IsKeyId(pin))
        {
            return string.Equals(SigningKey.KeyIdOf(publicKey), pin, StringComparison.OrdinalIgnoreCase);
        }

        return Receipts.FromBase64Url(pin) is { Length: 32 } pinned && pinned.AsSpan().SequenceEqual(publicKey);
    }

    /// <summary>A pin as configured: a base64url 32-byte public key, or a key id; null with why not.</summary>
    public static string? Validate(string pin) =>
        IsKeyId(pin) || Receipts.FromBase64Url(pin) is { Length: 32 } ? null
            : "must be the seller's Ed25519 public key (base64url, 43 characters, from its /.well-known/entrepot/keys) or its 16-hex-digit key id";
}
