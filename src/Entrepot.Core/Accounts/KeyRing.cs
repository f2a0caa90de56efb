using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Entrepot.Core.Accounts;

/// <summary>A buyer key as stored: its id, its digest and whose it is.</summary>
public sealed record ApiKeyEntry(string KeyId, byte[] Hash, Account Account)
{
    /// <summary>The budget and rate-limit scopes a request with this key falls under, made once
    /// per key rather than per request.</summary>
    public IReadOnlyList<string> Scopes { get; } = ["account:" + Account.Id, "key:" + KeyId];
}

/// <summary>
/// In-memory index of key digests for authenticating every request without a database call.
/// The presented key is hashed, the digest looked up, then compared again in constant time
/// (the lookup alone compares digests, never the key). Swapped whole when keys change.
/// </summary>
public sealed class KeyRing
{
    private readonly FrozenDictionary<string, ApiKeyEntry> _byHash;
    private readonly FrozenDictionary<string, ApiKeyEntry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public KeyRing(IEnumerable<ApiKeyEntry> entries)
    {
        _byHash = entries.ToFrozenDictionary(e => Convert.ToHexString(e.Hash), StringComparer.Ordinal);
        _bySpan = _byHash.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public static readonly KeyRing Empty = new([]);

    public int Count => _byHash.Count;

    public ApiKeyEntry? Authenticate(ReadOnlySpan<char> presentedKey)
    {
        if (presentedKey.IsEmpty || presentedKey.Length > 512)
        {
            return null;
        }

        Span<byte> hash = stackalloc byte[32];
        ApiKeyHash.Compute(presentedKey, hash);
        Span<char> hex = stackalloc char[64];
        Convert.TryToHexString(hash, hex, out _);
        if (!_bySpan.TryGetValue(hex, out var entry))
        {
            return null;
        }

        return CryptographicOperations.FixedTimeEquals(hash, entry.Hash) ? entry : null;
    }
}
