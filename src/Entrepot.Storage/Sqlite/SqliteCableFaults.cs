namespace Entrepot.Storage.Sqlite;

/// <summary>The cables an operator has marked cut, kept so a restart does not silently restore them.</summary>
public sealed class SqliteCableFaults(SqliteDatabase db, TimeProvider time)
{
    public IReadOnlyList<string> Load()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT cable_id FROM cable_faults ORDER BY cable_id";
        using var r = cmd.ExecuteReader();
        var cut = new List<string>();
        while (r.Read())
        {
            cut.Add(r.GetString(0));
        }

        return cut;
    }

    public void Save(IEnumerable<string> cut)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM cable_faults";
        cmd.ExecuteNonQuery();
        cmd.CommandText = "INSERT INTO cable_faults(cable_id, cut_at) VALUES ($id, $at)";
        var id = cmd.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Text);
        cmd.Parameters.AddWithValue("$at", time.GetUtcNow().ToString("O"));
        foreach (var cable in cut)
        {
            id.Value = cable;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }
}
