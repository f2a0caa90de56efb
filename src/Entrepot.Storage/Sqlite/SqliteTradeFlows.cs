using System.Globalization;
using Entrepot.Core.Statistics;

namespace Entrepot.Storage.Sqlite;

/// <summary>Daily trade flows by origin and destination from the usage log: every trade that
/// delivered tokens (completed or interrupted), per currency.</summary>
public static class SqliteTradeFlows
{
    public static IReadOnlyList<FlowRow> Query(SqliteDatabase db, DateTimeOffset since, DateTimeOffset until, string? accountId = null)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        // Costs are exact decimal text: summed here, not as floating point by SQLite.
        cmd.CommandText = """
            SELECT substr(ts, 1, 10), origin, destination, currency, input_tokens + output_tokens, cost
            FROM usage
            WHERE ts >= $since AND ts < $until AND destination IS NOT NULL
              AND outcome IN ('completed', 'interrupted') AND ($acc IS NULL OR account_id = $acc)
            """;
        cmd.Parameters.AddWithValue("$since", since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$until", until.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$acc", (object?)accountId ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var sums = new SortedDictionary<(string, string, string, string), (long Trades, long Tokens, decimal Value)>();
        while (r.Read())
        {
            var key = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3));
            var (n, t, v) = sums.GetValueOrDefault(key);
            sums[key] = (n + 1, t + r.GetInt64(4), v + decimal.Parse(r.GetString(5), CultureInfo.InvariantCulture));
        }

        var rows = sums.Select(s => new FlowRow(s.Key.Item1, s.Key.Item2, s.Key.Item3, s.Key.Item4, s.Value.Trades, s.Value.Tokens, s.Value.Value)).ToList();
        return rows;
    }
}
