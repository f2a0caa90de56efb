using System.Security.Cryptography;

namespace Entrepot.Core.Trust;

/// <summary>
/// SHA-256 on the request path (API keys, the bytes sent to a seller, its answer). One digest
/// context per thread, reset after each use: the one-shot API creates and frees an OpenSSL context
/// per call, which at these sizes (hundreds of bytes) cost about a fifth of the hashing itself
/// (docs/PERFORMANCE.md). Synchronous use only; a hash that spans awaits needs its own instance.
/// </summary>
public static class Sha256Hex
{
    [ThreadStatic]
    private static IncrementalHash? t_hash;

    /// <summary>The digest of <paramref name="data"/> into <paramref name="destination"/> (32 bytes).</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var h = t_hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            h.AppendData(data);
            h.GetHashAndReset(destination);
        }
        catch
        {
            // Never leave a half-fed context for the thread's next caller.
            t_hash = null;
            h.Dispose();
            throw;
        }
    }

    /// <summary>The digest of <paramref name="data"/> as 64 lowercase hex digits.</summary>
    public static string Of(ReadOnlySpan<byte> data)
    {
        Span<byte> digest = stackalloc byte[32];
        Hash(data, digest);
        return Convert.ToHexStringLower(digest);
    }
}
