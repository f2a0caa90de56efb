using System.Globalization;
using Entrepot.Core.Accounts;
using Entrepot.Core.Border;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>Buyer accounts and their API keys (digests only).</summary>
public sealed class SqliteAccountStore(SqliteDatabase db, TimeProvider time) : IAccountStore
{
    public Account? Find(string id)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, home_jurisdiction, default_data_class, attestations, currency FROM accounts WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? AccountRows.Read(r, 0) : null;
    }

    public IReadOnlyList<Account> List()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, name, home_jurisdiction, default_data_class, attestations, currency FROM accounts ORDER BY id";
        using var r = cmd.ExecuteReader();
        var list = new List<Account>();
        while (r.Read())
        {
            list.Add(AccountRows.Read(r, 0));
        }

        return list;
    }

    /// <summary>Creates the account or updates its name and jurisdiction.</summary>
    public void Upsert(Account account)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO accounts(id, name, home_jurisdiction, default_data_class, attestations, currency, created_at)
            VALUES ($id, $name, $j, $dc, $att, $cur, $ts)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, home_jurisdiction = excluded.home_jurisdiction,
                default_data_class = excluded.default_data_class, attestations = excluded.attestations, currency = excluded.currency
            """;
        cmd.Parameters.AddWithValue("$dc", account.DefaultDataClass.Name());
        cmd.Parameters.AddWithValue("$att", string.Join(',', account.Attestations ?? []));
        cmd.Parameters.AddWithValue("$id", account.Id);
        cmd.Parameters.AddWithValue("$name", account.Name);
        cmd.Parameters.AddWithValue("$j", account.HomeJurisdiction);
        cmd.Parameters.AddWithValue("$cur", account.Currency);
        cmd.Parameters.AddWithValue("$ts", Now());
        cmd.ExecuteNonQuery();
    }

    /// <summary>Stores a key digest; a digest already present is left as it is (same key configured twice).</summary>
    public void AddKey(string accountId, string keyId, byte[] hash)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO api_keys(key_id, account_id, hash, created_at) VALUES ($kid, $acc, $hash, $ts)
            ON CONFLICT(hash) DO NOTHING
            """;
        cmd.Parameters.AddWithValue("$kid", keyId);
        cmd.Parameters.AddWithValue("$acc", accountId);
        cmd.Parameters.AddWithValue("$hash", ApiKeyHash.ToText(hash));
        cmd.Parameters.AddWithValue("$ts", Now());
        cmd.ExecuteNonQuery();
    }

    public bool RevokeKey(string keyId)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE api_keys SET revoked_at = $ts WHERE key_id = $kid AND revoked_at IS NULL";
        cmd.Parameters.AddWithValue("$kid", keyId);
        cmd.Parameters.AddWithValue("$ts", Now());
        return cmd.ExecuteNonQuery() == 1;
    }

    public int SyncConfigKeys(IReadOnlyDictionary<string, (string AccountId, byte[] Hash)> configured)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var stored = new Dictionary<string, (string Account, bool Revoked)>(StringComparer.Ordinal);
        using (var read = c.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT key_id, account_id, revoked_at IS NOT NULL FROM api_keys WHERE substr(key_id, 1, 4) = 'cfg_'";
            using var r = read.ExecuteReader();
            while (r.Read())
            {
                stored[r.GetString(0)] = (r.GetString(1), r.GetBoolean(2));
            }
        }

        var changed = 0;
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        foreach (var (keyId, (account, hash)) in configured)
        {
            cmd.Parameters.Clear();
            cmd.Parameters.AddWithValue("$kid", keyId);
            cmd.Parameters.AddWithValue("$acc", account);
            cmd.Parameters.AddWithValue("$hash", ApiKeyHash.ToText(hash));
            cmd.Parameters.AddWithValue("$ts", Now());
            if (!stored.TryGetValue(keyId, out var was))
            {
                cmd.CommandText = "INSERT INTO api_keys(key_id, account_id, hash, created_at) VALUES ($kid, $acc, $hash, $ts) ON CONFLICT(hash) DO NOTHING";
            }
            else if (was.Account != account || was.Revoked)
            {
                cmd.CommandText = "UPDATE api_keys SET account_id = $acc, revoked_at = NULL WHERE key_id = $kid";
            }
            else
            {
                continue;
            }

            changed += cmd.ExecuteNonQuery();
        }

        foreach (var (keyId, was) in stored)
        {
            if (!was.Revoked && !configured.ContainsKey(keyId))
            {
                cmd.Parameters.Clear();
                cmd.CommandText = "UPDATE api_keys SET revoked_at = $ts WHERE key_id = $kid";
                cmd.Parameters.AddWithValue("$kid", keyId);
                cmd.Parameters.AddWithValue("$ts", Now());
                changed += cmd.ExecuteNonQuery();
            }
        }

        tx.Commit();
        return changed;
    }

    /// <summary>All live keys with their accounts, to build the in-memory <see cref="KeyRing"/>.</summary>
    public KeyRing LoadKeyRing()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT k.key_id, k.hash, a.id, a.name, a.home_jurisdiction, a.default_data_class, a.attestations, a.currency
            FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.revoked_at IS NULL
            """;
        using var r = cmd.ExecuteReader();
        return AccountRows.KeyRing(r);
    }

    private string Now() => time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
}
