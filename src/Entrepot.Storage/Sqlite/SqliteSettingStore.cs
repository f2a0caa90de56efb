using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>A single node's budgets, limits and caps (<see cref="ISettingStore"/>), in its SQLite file.</summary>
public sealed class SqliteSettingStore(SqliteDatabase db, TimeProvider time) : ISettingStore
{
    public Setting? Put(string kind, string scope, string value)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        if (Read(c, tx, kind, scope) is { FromFile: true })
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
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM settings WHERE kind = $k AND scope = $s AND from_file = 0";
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$s", scope);
        return cmd.ExecuteNonQuery() == 1;
    }

    public void SyncFile(string kind, IReadOnlyDictionary<string, string> defined)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        foreach (var (scope, value) in defined)
        {
            if (Read(c, tx, kind, scope) is not { FromFile: true } current || current.Value != value)
            {
                Write(c, tx, kind, scope, value, fromFile: true);
            }
        }

        foreach (var gone in All(c, tx, kind).Where(s => s.FromFile && !defined.ContainsKey(s.Scope)))
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "DELETE FROM settings WHERE kind = $k AND scope = $s";
            cmd.Parameters.AddWithValue("$k", kind);
            cmd.Parameters.AddWithValue("$s", gone.Scope);
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public IReadOnlyList<Setting> All(string kind)
    {
        using var c = db.Open();
        return All(c, null, kind);
    }

    public Setting? Find(string kind, string scope)
    {
        using var c = db.Open();
        return Read(c, null, kind, scope);
    }

    public long Clock()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version FROM setting_clock";
        return (long)cmd.ExecuteScalar()!;
    }

    private long Write(SqliteConnection c, SqliteTransaction tx, string kind, string scope, string value, bool fromFile)
    {
        using (var tick = c.CreateCommand())
        {
            tick.Transaction = tx;
            tick.CommandText = "UPDATE setting_clock SET version = version + 1";
            tick.ExecuteNonQuery();
        }

        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO settings(kind, scope, value, from_file, version, updated_at)
            VALUES ($k, $s, $v, $f, (SELECT version FROM setting_clock), $t)
            ON CONFLICT(kind, scope) DO UPDATE SET value = excluded.value, from_file = excluded.from_file, version = excluded.version, updated_at = excluded.updated_at
            RETURNING version
            """;
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$s", scope);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.Parameters.AddWithValue("$f", fromFile ? 1 : 0);
        cmd.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        return (long)cmd.ExecuteScalar()!;
    }

    private static Setting? Read(SqliteConnection c, SqliteTransaction? tx, string kind, string scope)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT value, from_file, version FROM settings WHERE kind = $k AND scope = $s";
        cmd.Parameters.AddWithValue("$k", kind);
        cmd.Parameters.AddWithValue("$s", scope);
        using var r = cmd.ExecuteReader();
        return r.Read() ? new Setting(kind, scope, r.GetString(0), r.GetInt64(1) != 0, r.GetInt64(2)) : null;
    }

    private static List<Setting> All(SqliteConnection c, SqliteTransaction? tx, string kind)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT scope, value, from_file, version FROM settings WHERE kind = $k ORDER BY scope";
        cmd.Parameters.AddWithValue("$k", kind);
        using var r = cmd.ExecuteReader();
        var list = new List<Setting>();
        while (r.Read())
        {
            list.Add(new Setting(kind, r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, r.GetInt64(3)));
        }

        return list;
    }
}
