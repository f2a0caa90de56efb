using System.Globalization;
using System.Text.Json;
using Entrepot.Core.Market;

namespace Entrepot.Storage.Sqlite;

/// <summary>Providers added through the admin API, kept across restarts.</summary>
public sealed class SqliteProviderStore(SqliteDatabase db, TimeProvider time) : IProviderStore
{
    public IReadOnlyList<ProviderSpec> List()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT spec FROM providers ORDER BY id";
        using var r = cmd.ExecuteReader();
        var list = new List<ProviderSpec>();
        while (r.Read())
        {
            var spec = JsonSerializer.Deserialize(r.GetString(0), StorageJsonContext.Default.ProviderSpec);
            if (spec is not null)
            {
                list.Add(spec);
            }
        }

        return list;
    }

    public void Upsert(ProviderSpec spec)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO providers(id, spec, updated_at) VALUES ($id, $spec, $ts)
            ON CONFLICT(id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at
            """;
        cmd.Parameters.AddWithValue("$id", spec.Id);
        cmd.Parameters.AddWithValue("$spec", JsonSerializer.Serialize(spec, StorageJsonContext.Default.ProviderSpec));
        cmd.Parameters.AddWithValue("$ts", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public bool Delete(string id)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM providers WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteNonQuery() == 1;
    }
}
