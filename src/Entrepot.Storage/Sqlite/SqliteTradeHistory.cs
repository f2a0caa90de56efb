using System.Globalization;
using System.Text;
using Entrepot.Core.Border;
using Entrepot.Core.Statistics;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// One node's trade history, read from its usage log. A declaration of a cross-border trade or a
/// refusal is a usage row with its border columns set (written by the trade writer, one insert per
/// trade): filters and keyset paging by sequence number, for the API and CSV export. Trade flows
/// sum the rows that delivered tokens.
/// </summary>
public sealed class SqliteTradeHistory(SqliteDatabase db) : ITradeHistory
{
    public IReadOnlyList<Declaration> Declarations(DeclarationQuery q)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        var where = new StringBuilder("declared = 1 AND seq > $after");
        cmd.Parameters.AddWithValue("$after", q.After);
        void Eq(string column, string name, string? value)
        {
            if (value is not null)
            {
                where.Append(CultureInfo.InvariantCulture, $" AND {column} = {name}");
                cmd.Parameters.AddWithValue(name, value);
            }
        }

        Eq("account_id", "$acc", q.AccountId);
        Eq("origin", "$o", q.Origin);
        Eq("destination", "$d", q.Destination);
        Eq("verdict", "$v", q.Verdict);
        Eq("provider_id", "$p", q.ProviderId);
        if (q.Interventions)
        {
            where.Append(" AND (verdict <> 'allow' OR redactions > 0)");
        }

        if (q.Since is { } since)
        {
            where.Append(" AND ts >= $since");
            cmd.Parameters.AddWithValue("$since", since.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        }

        if (q.Until is { } until)
        {
            where.Append(" AND ts < $until");
            cmd.Parameters.AddWithValue("$until", until.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
        }

        cmd.CommandText = $"""
            SELECT {DeclarationRows.Columns}
            FROM usage WHERE {where} ORDER BY seq {(q.Newest ? "DESC" : "")} LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(q.Limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var list = new List<Declaration>();
        while (r.Read())
        {
            list.Add(DeclarationRows.Read(r, DateTimeOffset.Parse(r.GetString(DeclarationRows.TimeColumn), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal), decimal.Parse(r.GetString(DeclarationRows.ValueColumn), CultureInfo.InvariantCulture)));
        }

        return list;
    }

    /// <summary>Daily trade flows by origin and destination: every trade that delivered tokens
    /// (completed or interrupted), per currency.</summary>
    public IReadOnlyList<FlowRow> Flows(DateTimeOffset since, DateTimeOffset until, string? accountId = null)
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

    public IReadOnlyList<ArchivedTrade> Recent(DateTimeOffset since, int limit)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {ArchivedTradeRows.Columns}
            FROM usage WHERE ts >= $since AND provider_id IS NOT NULL ORDER BY seq DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$since", since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var list = new List<ArchivedTrade>();
        while (r.Read())
        {
            list.Add(ReadTrade(r));
        }

        return list;
    }

    /// <summary>A usage row selected as <see cref="ArchivedTradeRows.Columns"/>.</summary>
    internal static ArchivedTrade ReadTrade(SqliteDataReader r) => ArchivedTradeRows.Read(r,
        DateTimeOffset.Parse(r.GetString(ArchivedTradeRows.TimeColumn), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind),
        decimal.Parse(r.GetString(ArchivedTradeRows.CostColumn), CultureInfo.InvariantCulture));
}
