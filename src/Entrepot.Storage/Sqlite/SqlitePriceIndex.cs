using System.Globalization;
using Entrepot.Core.Market;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The market's price index: for each hour, model class and seller jurisdiction, the tokens traded
/// and their value, so the volume-weighted price is value / tokens. Kept in the store and brought up
/// to date from the usage log (completed trades after the last row taken in), so it survives restarts
/// and is never computed twice for the same trade.
/// </summary>
public sealed class SqlitePriceIndex(SqliteDatabase db) : IPriceIndex
{
    private readonly Lock _gate = new();

    /// <summary>Takes in the trades recorded since the last update (at most 200,000 usage rows per
    /// call); returns how many trades. Summed by SQLite per hour, model, jurisdiction and currency, so
    /// the cost per trade is a few hundred nanoseconds; the value sum is a double, ample for an index.</summary>
    public int Update()
    {
        lock (_gate)
        {
            using var c = db.Open();
            using var tx = c.BeginTransaction();
            long Scalar(string sql, long arg = 0)
            {
                using var cmd = c.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = sql;
                cmd.Parameters.AddWithValue("$a", arg);
                return cmd.ExecuteScalar() is long v ? v : 0;
            }

            var from = Scalar("SELECT COALESCE((SELECT seq FROM price_index_cursor WHERE id = 1), 0)");
            var to = Math.Min(Scalar("SELECT COALESCE(MAX(seq), 0) FROM usage"), from + 200_000);
            if (to <= from)
            {
                return 0;
            }

            using var read = c.CreateCommand();
            read.Transaction = tx;
            read.CommandText = """
                SELECT substr(ts, 1, 13), model, destination, currency, SUM(input_tokens + output_tokens), SUM(CAST(cost AS REAL)), COUNT(*)
                FROM usage
                WHERE seq > $from AND seq <= $to AND outcome IN ('completed', 'interrupted') AND destination IS NOT NULL
                GROUP BY 1, 2, 3, 4
                """;
            read.Parameters.AddWithValue("$from", from);
            read.Parameters.AddWithValue("$to", to);
            var sums = new Dictionary<(string Bucket, string Class, string Jurisdiction, string Currency), (long Tokens, decimal Value, int Trades)>();
            using (var r = read.ExecuteReader())
            {
                while (r.Read())
                {
                    var key = (r.GetString(0) + ":00:00Z", Classes.GetOrAdd(r.GetString(1), ModelClass.Of), r.GetString(2), r.GetString(3));
                    var (t, v, n) = sums.GetValueOrDefault(key);
                    sums[key] = (t + r.GetInt64(4), v + (decimal)Math.Round(r.GetDouble(5), 12), n + r.GetInt32(6));
                }
            }

            using var upsert = c.CreateCommand();
            upsert.Transaction = tx;
            foreach (var ((bucket, cls, jurisdiction, currency), (tokens, value, trades)) in sums)
            {
                if (tokens <= 0)
                {
                    continue;
                }

                upsert.Parameters.Clear();
                var existing = Existing(c, tx, bucket, cls, jurisdiction, currency);
                upsert.Parameters.AddWithValue("$b", bucket);
                upsert.Parameters.AddWithValue("$m", cls);
                upsert.Parameters.AddWithValue("$j", jurisdiction);
                upsert.Parameters.AddWithValue("$c", currency);
                upsert.Parameters.AddWithValue("$t", tokens);
                upsert.Parameters.AddWithValue("$v", (existing + value).ToString(CultureInfo.InvariantCulture));
                upsert.Parameters.AddWithValue("$n", trades);
                upsert.CommandText = """
                    INSERT INTO price_index(bucket, model_class, jurisdiction, currency, tokens, value, trades) VALUES ($b, $m, $j, $c, $t, $v, $n)
                    ON CONFLICT(bucket, model_class, jurisdiction, currency) DO UPDATE SET
                        tokens = tokens + excluded.tokens, value = excluded.value, trades = trades + excluded.trades
                    """;
                upsert.ExecuteNonQuery();
            }

            // The cursor also moves past rows that were not trades (refusals, failures), so they are not read again.
            using var cursor = c.CreateCommand();
            cursor.Transaction = tx;
            cursor.CommandText = "INSERT INTO price_index_cursor(id, seq) VALUES (1, $s) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq";
            cursor.Parameters.AddWithValue("$s", to);
            cursor.ExecuteNonQuery();
            tx.Commit();
            return sums.Values.Sum(s => s.Trades);
        }
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> Classes = new(StringComparer.Ordinal);

    /// <summary>Index points, oldest first, per hour or per day.</summary>
    public IReadOnlyList<PriceIndexPoint> Query(DateTimeOffset since, DateTimeOffset until, string? modelClass, string? jurisdiction, bool daily)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        var bucket = daily ? "substr(bucket, 1, 10) || 'T00:00:00Z'" : "bucket";
        cmd.CommandText = $"""
            SELECT {bucket} AS b, model_class, jurisdiction, currency, tokens, value, trades
            FROM price_index
            WHERE bucket >= $since AND bucket < $until
              AND ($m IS NULL OR model_class = $m) AND ($j IS NULL OR jurisdiction = $j)
            ORDER BY b, model_class, jurisdiction, currency
            """;
        cmd.Parameters.AddWithValue("$since", Hour(since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)));
        cmd.Parameters.AddWithValue("$until", until.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$m", (object?)modelClass ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$j", (object?)jurisdiction ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var merged = new Dictionary<(string, string, string, string), (long Tokens, decimal Value, int Trades)>();
        var order = new List<(string, string, string, string)>();
        while (r.Read())
        {
            var key = (r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3));
            if (!merged.TryGetValue(key, out var sum))
            {
                order.Add(key);
            }

            merged[key] = (sum.Tokens + r.GetInt64(4), sum.Value + decimal.Parse(r.GetString(5), CultureInfo.InvariantCulture), sum.Trades + r.GetInt32(6));
        }

        return order.Select(k =>
        {
            var (t, v, n) = merged[k];
            return new PriceIndexPoint(k.Item1, k.Item2, k.Item3, k.Item4, t, v, n, t == 0 ? 0 : Math.Round(v / t * 1_000_000m, 6));
        }).ToList();
    }

    private static decimal Existing(Microsoft.Data.Sqlite.SqliteConnection c, Microsoft.Data.Sqlite.SqliteTransaction tx, string bucket, string cls, string jurisdiction, string currency)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT value FROM price_index WHERE bucket = $b AND model_class = $m AND jurisdiction = $j AND currency = $c";
        cmd.Parameters.AddWithValue("$b", bucket);
        cmd.Parameters.AddWithValue("$m", cls);
        cmd.Parameters.AddWithValue("$j", jurisdiction);
        cmd.Parameters.AddWithValue("$c", currency);
        return cmd.ExecuteScalar() is string s ? decimal.Parse(s, CultureInfo.InvariantCulture) : 0m;
    }

    /// <summary>The hour an ISO 8601 UTC timestamp falls in, as yyyy-MM-ddTHH:00:00Z.</summary>
    private static string Hour(string isoTimestamp) => isoTimestamp[..13] + ":00:00Z";
}

/// <summary>One point of the price index: volume-weighted price per million tokens (input and output together).</summary>
public sealed record PriceIndexPoint(
    [property: System.Text.Json.Serialization.JsonPropertyName("bucket")] string Bucket,
    [property: System.Text.Json.Serialization.JsonPropertyName("model_class")] string ModelClass,
    [property: System.Text.Json.Serialization.JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: System.Text.Json.Serialization.JsonPropertyName("currency")] string Currency,
    [property: System.Text.Json.Serialization.JsonPropertyName("tokens")] long Tokens,
    [property: System.Text.Json.Serialization.JsonPropertyName("value")] decimal Value,
    [property: System.Text.Json.Serialization.JsonPropertyName("trades")] int Trades,
    [property: System.Text.Json.Serialization.JsonPropertyName("price_per_million")] decimal PricePerMillion);
