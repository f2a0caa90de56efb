using System.Globalization;
using Entrepot.Core.Accounts;
using Entrepot.Core.Border;
using Npgsql;

namespace Entrepot.Storage.Postgres;

/// <summary>Buyer accounts and key digests in PostgreSQL, shared by a cluster's nodes (same columns as SQLite).</summary>
public sealed class PostgresAccountStore(PostgresDatabase db, TimeProvider time) : IAccountStore
{
    private const string Columns = "a.id, a.name, a.home_jurisdiction, a.default_data_class, a.attestations, a.currency";

    public Account? Find(string id)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM accounts a WHERE a.id = @id", c);
        cmd.Parameters.AddWithValue("id", id);
        using var r = cmd.ExecuteReader();
        return r.Read() ? AccountRows.Read(r, 0) : null;
    }

    public IReadOnlyList<Account> List()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"SELECT {Columns} FROM accounts a ORDER BY a.id", c);
        using var r = cmd.ExecuteReader();
        var list = new List<Account>();
        while (r.Read())
        {
            list.Add(AccountRows.Read(r, 0));
        }

        return list;
    }

    public void Upsert(Account account)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            INSERT INTO accounts(id, name, home_jurisdiction, default_data_class, attestations, currency, created_at)
            VALUES (@id, @name, @j, @dc, @att, @cur, @ts)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, home_jurisdiction = excluded.home_jurisdiction,
                default_data_class = excluded.default_data_class, attestations = excluded.attestations, currency = excluded.currency
            """, c);
        cmd.Parameters.AddWithValue("id", account.Id);
        cmd.Parameters.AddWithValue("name", account.Name);
        cmd.Parameters.AddWithValue("j", account.HomeJurisdiction);
        cmd.Parameters.AddWithValue("dc", account.DefaultDataClass.Name());
        cmd.Parameters.AddWithValue("att", string.Join(',', account.Attestations ?? []));
        cmd.Parameters.AddWithValue("cur", account.Currency);
        cmd.Parameters.AddWithValue("ts", Now());
        cmd.ExecuteNonQuery();
    }

    public void AddKey(string accountId, string keyId, byte[] hash)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            INSERT INTO api_keys(key_id, account_id, hash, created_at) VALUES (@kid, @acc, @hash, @ts)
            ON CONFLICT DO NOTHING
            """, c);
        cmd.Parameters.AddWithValue("kid", keyId);
        cmd.Parameters.AddWithValue("acc", accountId);
        cmd.Parameters.AddWithValue("hash", ApiKeyHash.ToText(hash));
        cmd.Parameters.AddWithValue("ts", Now());
        cmd.ExecuteNonQuery();
    }

    public bool RevokeKey(string keyId)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("UPDATE api_keys SET revoked_at = @ts WHERE key_id = @kid AND revoked_at IS NULL", c);
        cmd.Parameters.AddWithValue("kid", keyId);
        cmd.Parameters.AddWithValue("ts", Now());
        return cmd.ExecuteNonQuery() == 1;
    }

    public int SyncConfigKeys(IReadOnlyDictionary<string, (string AccountId, byte[] Hash)> configured)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        var stored = new Dictionary<string, (string Account, bool Revoked)>(StringComparer.Ordinal);
        using (var read = new NpgsqlCommand("SELECT key_id, account_id, revoked_at IS NOT NULL FROM api_keys WHERE starts_with(key_id, 'cfg_') FOR UPDATE", c, tx))
        using (var r = read.ExecuteReader())
        {
            while (r.Read())
            {
                stored[r.GetString(0)] = (r.GetString(1), r.GetBoolean(2));
            }
        }

        var changed = 0;
        foreach (var (keyId, (account, hash)) in configured)
        {
            string sql;
            if (!stored.TryGetValue(keyId, out var was))
            {
                sql = "INSERT INTO api_keys(key_id, account_id, hash, created_at) VALUES (@kid, @acc, @hash, @ts) ON CONFLICT DO NOTHING";
            }
            else if (was.Account != account || was.Revoked)
            {
                sql = "UPDATE api_keys SET account_id = @acc, revoked_at = NULL WHERE key_id = @kid";
            }
            else
            {
                continue;
            }

            using var cmd = new NpgsqlCommand(sql, c, tx);
            cmd.Parameters.AddWithValue("kid", keyId);
            cmd.Parameters.AddWithValue("acc", account);
            cmd.Parameters.AddWithValue("hash", ApiKeyHash.ToText(hash));
            cmd.Parameters.AddWithValue("ts", Now());
            changed += cmd.ExecuteNonQuery();
        }

        foreach (var (keyId, was) in stored)
        {
            if (!was.Revoked && !configured.ContainsKey(keyId))
            {
                using var cmd = new NpgsqlCommand("UPDATE api_keys SET revoked_at = @ts WHERE key_id = @kid", c, tx);
                cmd.Parameters.AddWithValue("kid", keyId);
                cmd.Parameters.AddWithValue("ts", Now());
                changed += cmd.ExecuteNonQuery();
            }
        }

        tx.Commit();
        return changed;
    }

    public KeyRing LoadKeyRing()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"""
            SELECT k.key_id, k.hash, {Columns}
            FROM api_keys k JOIN accounts a ON a.id = k.account_id
            WHERE k.revoked_at IS NULL
            """, c);
        using var r = cmd.ExecuteReader();
        return AccountRows.KeyRing(r);
    }

    private string Now() => time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
}
