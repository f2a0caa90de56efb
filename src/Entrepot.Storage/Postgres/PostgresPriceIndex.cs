using Entrepot.Core.Market;
using Entrepot.Storage.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Entrepot.Storage.Postgres;

/// <summary>
/// A cluster's price index, summed on demand from the trades every node writes to PostgreSQL (an
/// index over <c>ts</c> bounds the scan to the period asked), so every node shows the whole
/// exchange's prices rather than its own share. Points as <see cref="SqlitePriceIndex"/> gives them.
/// </summary>
public sealed class PostgresPriceIndex(PostgresDatabase db) : IPriceIndex
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Classes = new(StringComparer.Ordinal);

    /// <summary>Nothing to roll up: the trades table is the index's source.</summary>
    public int Update() => 0;

    public IReadOnlyList<PriceIndexPoint> Query(DateTimeOffset since, DateTimeOffset until, string? modelClass, string? jurisdiction, bool daily)
    {
        using var c = db.Open();
        // NUMERIC sums are exact; the model class is the exchange's own classification of the model name.
        using var cmd = new NpgsqlCommand($"""
            SELECT to_char(date_trunc('{(daily ? "day" : "hour")}', ts AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24":00:00Z"'),
                   model, destination, currency, sum(input_tokens + output_tokens), sum(cost), count(*)
            FROM trades
            WHERE ts >= date_trunc('hour', @since) AND ts < @until AND outcome IN ('completed', 'interrupted') AND destination IS NOT NULL
              AND (@j::text IS NULL OR destination = @j)
            GROUP BY 1, 2, 3, 4
            """, c);
        cmd.Parameters.Add(new NpgsqlParameter("since", NpgsqlDbType.TimestampTz) { Value = since.UtcDateTime });
        cmd.Parameters.Add(new NpgsqlParameter("until", NpgsqlDbType.TimestampTz) { Value = until.UtcDateTime });
        cmd.Parameters.Add(new NpgsqlParameter("j", NpgsqlDbType.Text) { Value = (object?)jurisdiction ?? DBNull.Value });
        using var r = cmd.ExecuteReader();
        var sums = new SortedDictionary<(string Bucket, string Class, string Jurisdiction, string Currency), (long Tokens, decimal Value, int Trades)>();
        while (r.Read())
        {
            var cls = Classes.GetOrAdd(r.GetString(1), ModelClass.Of);
            if (modelClass is not null && cls != modelClass)
            {
                continue;
            }

            var key = (r.GetString(0), cls, r.GetString(2), r.GetString(3));
            var (t, v, n) = sums.GetValueOrDefault(key);
            sums[key] = (t + r.GetInt64(4), v + r.GetDecimal(5), n + (int)r.GetInt64(6));
        }

        return sums.Where(s => s.Value.Tokens > 0).Select(s => new PriceIndexPoint(s.Key.Bucket, s.Key.Class, s.Key.Jurisdiction, s.Key.Currency,
            s.Value.Tokens, s.Value.Value, s.Value.Trades, Math.Round(s.Value.Value / s.Value.Tokens * 1_000_000m, 6))).ToList();
    }
}
