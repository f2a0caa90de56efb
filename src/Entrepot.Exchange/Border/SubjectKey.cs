using System.Security.Cryptography;

namespace Entrepot.Exchange.Border;

/// <summary>The exchange's secret for hashing data-subject identifiers (HMAC key), created on first
/// start in the data directory, readable by the owner only.</summary>
public static class SubjectKey
{
    public static byte[] LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, "subject-hmac.key");
        if (File.Exists(path))
        {
            var existing = File.ReadAllBytes(path);
            if (existing.Length == 32)
            {
                return existing;
            }
        }

        var key = RandomNumberGenerator.GetBytes(32);
        if (File.Exists(path))
        {
            File.Delete(path); // a truncated key from an interrupted first start
        }

        Core.Trust.SecretFile.Create(path, key);
        return key;
    }
}
