using System.Globalization;
using System.Text.Json;
using Entrepot.Core.Market;
using Npgsql;

namespace Entrepot.Storage.Postgres;

/// <summary>Providers added through the admin API, in PostgreSQL so every node of a cluster lists them.</summary>
public sealed class PostgresProviderStore(PostgresDatabase db, TimeProvider time) : IProviderStore
{
    public IReadOnlyList<ProviderSpec> List()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT spec FROM providers ORDER BY id", c);
        using var r = cmd.ExecuteReader();
        var list = new List<ProviderSpec>();
        while (r.Read())
        {
            if (JsonSerializer.Deserialize(r.GetString(0), StorageJsonContext.Default.ProviderSpec) is { } spec)
            {
                list.Add(spec);
            }
        }

        return list;
    }

    public void Upsert(ProviderSpec spec)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            INSERT INTO providers(id, spec, updated_at) VALUES (@id, @spec, @ts)
            ON CONFLICT(id) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at
            """, c);
        cmd.Parameters.AddWithValue("id", spec.Id!);
        cmd.Parameters.AddWithValue("spec", JsonSerializer.Serialize(spec, StorageJsonContext.Default.ProviderSpec));
        cmd.Parameters.AddWithValue("ts", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public bool Delete(string id)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("DELETE FROM providers WHERE id = @id", c);
        cmd.Parameters.AddWithValue("id", id);
        return cmd.ExecuteNonQuery() == 1;
    }
}
