using System.Security.Cryptography;
using System.Text;

namespace Entrepot.Core.Trust;

/// <summary>
/// Secrets kept in a store (an upstream seller's API key added through the admin API): sealed with
/// AES-256-GCM under a key derived from the exchange's signing key, which every node of a cluster
/// holds and nothing else does, so the database alone (a backup, a copied file) does not give them
/// away. Sealed text reads <c>enc:v1:</c> followed by base64url of nonce, ciphertext and tag.
/// </summary>
public sealed class SecretBox(SigningKey key)
{
    public const string Prefix = "enc:v1:";
    private readonly byte[] _key = key.DeriveSecret("entrepot-secret-box-v1");

    public static bool IsSealed(string? value) => value?.StartsWith(Prefix, StringComparison.Ordinal) == true;

    public string Seal(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var sealedBytes = new byte[12 + plain.Length + 16];
        var nonce = sealedBytes.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, 16);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), Encoding.UTF8.GetBytes(Prefix));
        return Prefix + Receipts.Base64Url(sealedBytes);
    }

    /// <summary>The secret, or null when <paramref name="value"/> was not sealed by this exchange's key.</summary>
    public string? Open(string value)
    {
        if (!IsSealed(value) || Receipts.FromBase64Url(value[Prefix.Length..]) is not { Length: > 28 } sealedBytes)
        {
            return null;
        }

        var plain = new byte[sealedBytes.Length - 28];
        try
        {
            using var aes = new AesGcm(_key, 16);
            aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(12, plain.Length), sealedBytes.AsSpan(12 + plain.Length), plain, Encoding.UTF8.GetBytes(Prefix));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
