using System.Globalization;
using System.Text.Json.Serialization;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Trades that could not be written after their tries, kept whole (the settled trade as JSON) with
/// the error, so the records behind them go on and the operator can list them and, once the cause is
/// fixed, replay them (each is deleted in the transaction that finally writes it).
/// </summary>
public sealed class SqliteDeadLetters(SqliteDatabase db, TimeProvider time)
{
    public void Add(string requestId, string record, string error, int attempts)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO dead_letters(request_id, record, error, attempts, created_at) VALUES ($r, $rec, $e, $a, $t)";
        cmd.Parameters.AddWithValue("$r", requestId);
        cmd.Parameters.AddWithValue("$rec", record);
        cmd.Parameters.AddWithValue("$e", error.Length > 2000 ? error[..2000] : error);
        cmd.Parameters.AddWithValue("$a", attempts);
        cmd.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public long Count()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM dead_letters";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>The oldest first, after <paramref name="afterId"/>.</summary>
    public IReadOnlyList<DeadLetter> List(long afterId = 0, int limit = 100)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, request_id, record, error, attempts, created_at FROM dead_letters WHERE id > $a ORDER BY id LIMIT $n";
        cmd.Parameters.AddWithValue("$a", afterId);
        cmd.Parameters.AddWithValue("$n", Math.Clamp(limit, 1, 1000));
        using var r = cmd.ExecuteReader();
        var list = new List<DeadLetter>();
        while (r.Read())
        {
            list.Add(new DeadLetter(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), r.GetString(5)));
        }

        return list;
    }

    public DeadLetter? Find(long id) => List(id - 1, 1) is [{ } d] && d.Id == id ? d : null;

    /// <summary>Deletes the rows of trades now written, in the transaction that wrote them.</summary>
    public static void Delete(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction tx, IEnumerable<long> ids)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM dead_letters WHERE id = $id";
        var p = cmd.Parameters.Add("$id", Microsoft.Data.Sqlite.SqliteType.Integer);
        foreach (var id in ids)
        {
            p.Value = id;
            cmd.ExecuteNonQuery();
        }
    }
}

/// <summary>A trade set aside: its request id, the settled trade (JSON), why it failed and when.</summary>
public sealed record DeadLetter(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("record"), JsonIgnore] string Record,
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("attempts")] int Attempts,
    [property: JsonPropertyName("created_at")] string CreatedAt);
