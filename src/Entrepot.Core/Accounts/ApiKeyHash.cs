using System.Security.Cryptography;
using System.Text;

namespace Entrepot.Core.Accounts;

/// <summary>
/// API keys are stored only as SHA-256 digests. Keys are long random strings, so a fast hash is
/// enough (no password stretching needed); comparison is constant-time.
/// </summary>
public static class ApiKeyHash
{
    public const string Prefix = "sha256:";

    public static byte[] Compute(ReadOnlySpan<char> key)
    {
        var hash = new byte[32];
        Compute(key, hash);
        return hash;
    }

    /// <summary>The key's digest into <paramref name="hash"/> (32 bytes), allocating nothing for keys up to 256 characters.</summary>
    public static void Compute(ReadOnlySpan<char> key, Span<byte> hash)
    {
        Span<byte> utf8 = key.Length <= 256 ? stackalloc byte[key.Length * 3] : new byte[Encoding.UTF8.GetMaxByteCount(key.Length)];
        var n = Encoding.UTF8.GetBytes(key, utf8);
        Trust.Sha256Hex.Hash(utf8[..n], hash);
    }

    public static string ToText(byte[] hash) => Prefix + Convert.ToHexStringLower(hash);

    public static bool TryParse(string text, out byte[] hash)
    {
        hash = [];
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length != Prefix.Length + 64)
        {
            return false;
        }

        try
        {
            hash = Convert.FromHexString(text.AsSpan(Prefix.Length));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static bool Matches(ReadOnlySpan<char> key, ReadOnlySpan<byte> storedHash)
    {
        Span<byte> hash = stackalloc byte[32];
        Compute(key, hash);
        return CryptographicOperations.FixedTimeEquals(hash, storedHash);
    }

    /// <summary>A new random key: prefix plus 32 bytes of entropy in base64url.</summary>
    public static string NewKey(string prefix = "ent-") =>
        prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
