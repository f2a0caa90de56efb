using Npgsql;

namespace Entrepot.Storage.Postgres;

/// <summary>A cluster's budgets, limits and caps (<see cref="ISettingStore"/>), in the PostgreSQL every
/// node shares; versions come from one sequence, so they grow across nodes.</summary>
public sealed class PostgresSettingStore(PostgresDatabase db) : ISettingStore
{
    public Setting? Put(string kind, string scope, string value)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        if (Read(c, tx, kind, scope, forUpdate: true) is { FromFile: true })
        {
            return null;
        }

        var version = Write(c, tx, kind, scope, value, fromFile: false);
        tx.Commit();
        return new Setting(kind, scope, value, false, version);
    }

    public bool Delete(string kind, string scope)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("DELETE FROM settings WHERE kind = @k AND scope = @s AND NOT from_file", c);
        cmd.Parameters.AddWithValue("k", kind);
        cmd.Parameters.AddWithValue("s", scope);
        return cmd.ExecuteNonQuery() == 1;
    }

    public void SyncFile(string kind, IReadOnlyDictionary<string, string> defined)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        foreach (var (scope, value) in defined.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (Read(c, tx, kind, scope, forUpdate: true) is not { FromFile: true } current || current.Value != value)
            {
                Write(c, tx, kind, scope, value, fromFile: true);
            }
        }

        using (var cmd = new NpgsqlCommand("DELETE FROM settings WHERE kind = @k AND from_file AND NOT (scope = ANY(@kept))", c, tx))
        {
            cmd.Parameters.AddWithValue("k", kind);
            cmd.Parameters.AddWithValue("kept", defined.Keys.ToArray());
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public IReadOnlyList<Setting> All(string kind)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT scope, value, from_file, version FROM settings WHERE kind = @k ORDER BY scope", c);
        cmd.Parameters.AddWithValue("k", kind);
        using var r = cmd.ExecuteReader();
        var list = new List<Setting>();
        while (r.Read())
        {
            list.Add(new Setting(kind, r.GetString(0), r.GetString(1), r.GetBoolean(2), r.GetInt64(3)));
        }

        return list;
    }

    public Setting? Find(string kind, string scope)
    {
        using var c = db.Open();
        return Read(c, null, kind, scope, forUpdate: false);
    }

    public long Clock()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM setting_versions", c);
        return (long)cmd.ExecuteScalar()!;
    }

    private static long Write(NpgsqlConnection c, NpgsqlTransaction tx, string kind, string scope, string value, bool fromFile)
    {
        using var cmd = new NpgsqlCommand("""
            INSERT INTO settings(kind, scope, value, from_file, version, updated_at) VALUES (@k, @s, @v, @f, nextval('setting_versions'), now())
            ON CONFLICT (kind, scope) DO UPDATE SET value = excluded.value, from_file = excluded.from_file, version = excluded.version, updated_at = excluded.updated_at
            RETURNING version
            """, c, tx);
        cmd.Parameters.AddWithValue("k", kind);
        cmd.Parameters.AddWithValue("s", scope);
        cmd.Parameters.AddWithValue("v", value);
        cmd.Parameters.AddWithValue("f", fromFile);
        return (long)cmd.ExecuteScalar()!;
    }

    private static Setting? Read(NpgsqlConnection c, NpgsqlTransaction? tx, string kind, string scope, bool forUpdate)
    {
        using var cmd = new NpgsqlCommand("SELECT value, from_file, version FROM settings WHERE kind = @k AND scope = @s" + (forUpdate ? " FOR UPDATE" : ""), c, tx);
        cmd.Parameters.AddWithValue("k", kind);
        cmd.Parameters.AddWithValue("s", scope);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new Setting(kind, scope, r.GetString(0), r.GetBoolean(1), r.GetInt64(2)) : null;
    }
}
