using System.Security.Cryptography;
using NSec.Cryptography;

namespace Entrepot.Core.Trust;

/// <summary>
/// A node's Ed25519 key pair (exchange or exporter), created on first start in its data directory
/// with owner-only permissions and loaded from there afterwards. Its id is the first 16 hex digits
/// of the SHA-256 of the public key, so a receipt names the key that signed it.
/// </summary>
public sealed class SigningKey : IDisposable
{
    public const string FileName = "signing.ed25519";
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    private SigningKey(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        KeyId = Convert.ToHexStringLower(SHA256.HashData(PublicKey))[..16];
    }

    public byte[] PublicKey { get; }

    public string KeyId { get; }

    public static SigningKey LoadOrCreate(string dataDir)
    {
        PrivateDirectory.Ensure(dataDir);
        var path = Path.Combine(dataDir, FileName);
        var parameters = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
        if (File.Exists(path))
        {
            var raw = File.ReadAllBytes(path);
            return new SigningKey(Key.Import(Algorithm, raw, KeyBlobFormat.RawPrivateKey, parameters));
        }

        var key = Key.Create(Algorithm, parameters);
        try
        {
            SecretFile.Create(path, key.Export(KeyBlobFormat.RawPrivateKey));
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process (a second exchange node sharing the key directory) created it first: use theirs.
            key.Dispose();
            return new SigningKey(Key.Import(Algorithm, File.ReadAllBytes(path), KeyBlobFormat.RawPrivateKey, parameters));
        }

        return new SigningKey(key);
    }

    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    /// <summary>A 32-byte secret for one purpose (<paramref name="label"/>), derived from the private key
    /// with HKDF-SHA-256: every node holding the key (a cluster's) derives the same, nobody else can.</summary>
    public byte[] DeriveSecret(string label)
    {
        var raw = _key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, raw, 32, salt: [], info: System.Text.Encoding.UTF8.GetBytes(label));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw);
        }
    }

    /// <summary>Checks an Ed25519 signature with a raw 32-byte public key; false for any malformed input.</summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        return NSec.Cryptography.PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var pk) && pk is not null &&
            Algorithm.Verify(pk, data, signature);
    }

    public static string KeyIdOf(ReadOnlySpan<byte> publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey))[..16];

    public void Dispose() => _key.Dispose();
}
