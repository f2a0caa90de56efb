using Entrepot.Core.Accounts;

namespace Entrepot.Storage;

/// <summary>Buyer accounts and their API keys (digests only): the node's SQLite file, or PostgreSQL
/// shared by the nodes of a cluster.</summary>
public interface IAccountStore
{
    Account? Find(string id);

    IReadOnlyList<Account> List();

    /// <summary>Creates the account or updates its name and jurisdiction.</summary>
    void Upsert(Account account);

    /// <summary>Stores a key digest; a digest already present is left as it is (same key configured twice).</summary>
    void AddKey(string accountId, string keyId, byte[] hash);

    bool RevokeKey(string keyId);

    /// <summary>
    /// Makes the keys the configuration file defines (ids starting <see cref="ConfigKeyPrefix"/>) exactly
    /// <paramref name="configured"/>: each live, under the account the file gives it (a key moved in the
    /// file moves); a file key no longer in the file revoked. Keys issued through the admin API are not
    /// touched. Returns how many keys changed.
    /// </summary>
    int SyncConfigKeys(IReadOnlyDictionary<string, (string AccountId, byte[] Hash)> configured);

    /// <summary>The id prefix of keys the configuration file defines.</summary>
    public const string ConfigKeyPrefix = "cfg_";

    /// <summary>All live keys with their accounts, to build the in-memory <see cref="KeyRing"/>.</summary>
    KeyRing LoadKeyRing();
}
