using System.Globalization;
using System.Text;
using Entrepot.Core.Border;
using Entrepot.Core.Statistics;
using Npgsql;
using NpgsqlTypes;

namespace Entrepot.Storage.Postgres;

/// <summary>
/// The trade history every exchange node of a cluster writes to PostgreSQL: each committed trade's
/// route, tokens, value and border part (its declaration), so the declarations and trade flows any
/// node serves are the whole exchange's. Rows are keyed by request id (appends are idempotent) and
/// numbered in arrival order for keyset paging.
/// </summary>
public sealed class PostgresTradeHistory(PostgresDatabase db) : ITradeHistory, ITradeArchive
{
    public void Append(IReadOnlyList<ArchivedTrade> trades)
    {
        if (trades.Count == 0)
        {
            return;
        }

        using var c = db.Open();
        // One statement for the batch: each column as an array, unnested into rows.
        using var cmd = new NpgsqlCommand("""
            INSERT INTO trades(request_id, ts, account_id, provider_id, model, origin, destination, input_tokens, output_tokens,
                cost, currency, outcome, declared, data_class, categories, detected, verdict, rules, redactions, rulebook)
            SELECT * FROM unnest(@rid, @ts, @acc, @pid, @model, @o, @d, @in, @out, @cost, @cur, @outcome, @decl, @dc, @cat, @det, @v, @r, @red, @rb)
            ON CONFLICT (request_id) DO NOTHING
            """, c);
        void Column<T>(string name, NpgsqlDbType type, Func<ArchivedTrade, T> value) =>
            cmd.Parameters.Add(new NpgsqlParameter(name, NpgsqlDbType.Array | type) { Value = trades.Select(value).ToArray() });
        Column("rid", NpgsqlDbType.Text, t => t.RequestId);
        Column("ts", NpgsqlDbType.TimestampTz, t => t.Timestamp.UtcDateTime);
        Column("acc", NpgsqlDbType.Text, t => t.AccountId);
        Column("pid", NpgsqlDbType.Text, t => t.ProviderId);
        Column("model", NpgsqlDbType.Text, t => t.Model);
        Column("o", NpgsqlDbType.Text, t => t.Origin);
        Column("d", NpgsqlDbType.Text, t => t.Destination);
        Column("in", NpgsqlDbType.Bigint, t => t.InputTokens);
        Column("out", NpgsqlDbType.Bigint, t => t.OutputTokens);
        Column("cost", NpgsqlDbType.Numeric, t => t.Cost);
        Column("cur", NpgsqlDbType.Text, t => t.Currency);
        Column("outcome", NpgsqlDbType.Text, t => t.Outcome);
        Column("decl", NpgsqlDbType.Boolean, t => t.Border is not null);
        Column("dc", NpgsqlDbType.Text, t => t.Border?.DataClass ?? "public");
        Column("cat", NpgsqlDbType.Text, t => t.Border?.Categories ?? "");
        Column("det", NpgsqlDbType.Text, t => t.Border?.Detected ?? "");
        Column("v", NpgsqlDbType.Text, t => t.Border?.Verdict ?? "allow");
        Column("r", NpgsqlDbType.Text, t => t.Border?.Rules ?? "");
        Column("red", NpgsqlDbType.Integer, t => t.Border?.Redactions ?? 0);
        Column("rb", NpgsqlDbType.Text, t => t.Border?.RuleBook ?? "");
        cmd.ExecuteNonQuery();
    }

    public bool Knows(string requestId)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT 1 FROM trades WHERE request_id = @r", c);
        cmd.Parameters.AddWithValue("r", requestId);
        return cmd.ExecuteScalar() is not null;
    }

    public DateTimeOffset? LastTradeTime()
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT max(ts) FROM trades", c);
        return cmd.ExecuteScalar() is DateTime t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null;
    }

    public IReadOnlyList<Declaration> Declarations(DeclarationQuery q)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand { Connection = c };
        var where = new StringBuilder("declared AND seq > @after");
        cmd.Parameters.AddWithValue("after", q.After);
        void Eq(string column, string? value)
        {
            if (value is not null)
            {
                where.Append(CultureInfo.InvariantCulture, $" AND {column} = @{column}");
                cmd.Parameters.AddWithValue(column, value);
            }
        }

        Eq("account_id", q.AccountId);
        Eq("origin", q.Origin);
        Eq("destination", q.Destination);
        Eq("verdict", q.Verdict);
        Eq("provider_id", q.ProviderId);
        if (q.Interventions)
        {
            where.Append(" AND (verdict <> 'allow' OR redactions > 0)");
        }

        if (q.Since is { } since)
        {
            where.Append(" AND ts >= @since");
            cmd.Parameters.AddWithValue("since", since.ToUniversalTime());
        }

        if (q.Until is { } until)
        {
            where.Append(" AND ts < @until");
            cmd.Parameters.AddWithValue("until", until.ToUniversalTime());
        }

        cmd.CommandText = $"""
            SELECT {DeclarationRows.Columns}
            FROM trades WHERE {where} ORDER BY seq {(q.Newest ? "DESC" : "")} LIMIT @limit
            """;
        cmd.Parameters.AddWithValue("limit", Math.Clamp(q.Limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var list = new List<Declaration>();
        while (r.Read())
        {
            list.Add(DeclarationRows.Read(r, new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(DeclarationRows.TimeColumn), DateTimeKind.Utc)), r.GetDecimal(DeclarationRows.ValueColumn)));
        }

        return list;
    }

    public IReadOnlyList<FlowRow> Flows(DateTimeOffset since, DateTimeOffset until, string? accountId = null)
    {
        using var c = db.Open();
        // NUMERIC sums are exact, as the decimal text sums of a single node are.
        using var cmd = new NpgsqlCommand("""
            SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD'), origin, destination, currency, count(*), sum(input_tokens + output_tokens), sum(cost)
            FROM trades
            WHERE ts >= @since AND ts < @until AND destination IS NOT NULL
              AND outcome IN ('completed', 'interrupted') AND (@acc::text IS NULL OR account_id = @acc)
            GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
            """, c);
        cmd.Parameters.AddWithValue("since", since.ToUniversalTime());
        cmd.Parameters.AddWithValue("until", until.ToUniversalTime());
        cmd.Parameters.Add(new NpgsqlParameter("acc", NpgsqlDbType.Text) { Value = (object?)accountId ?? DBNull.Value });
        using var r = cmd.ExecuteReader();
        var rows = new List<FlowRow>();
        while (r.Read())
        {
            rows.Add(new FlowRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5), r.GetDecimal(6)));
        }

        return rows;
    }

    public IReadOnlyList<ArchivedTrade> Recent(DateTimeOffset since, int limit)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand($"""
            SELECT {ArchivedTradeRows.Columns}
            FROM trades WHERE ts >= @since AND provider_id IS NOT NULL ORDER BY seq DESC LIMIT @limit
            """, c);
        cmd.Parameters.AddWithValue("since", since.UtcDateTime);
        cmd.Parameters.AddWithValue("limit", Math.Clamp(limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var list = new List<ArchivedTrade>();
        while (r.Read())
        {
            list.Add(ArchivedTradeRows.Read(r, new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(ArchivedTradeRows.TimeColumn), DateTimeKind.Utc)),
                r.GetDecimal(ArchivedTradeRows.CostColumn)));
        }

        return list;
    }
}
