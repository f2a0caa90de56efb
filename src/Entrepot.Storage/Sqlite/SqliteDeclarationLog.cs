using System.Globalization;
using System.Text;
using Entrepot.Core.Border;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The declarations of cross-border trades and refusals, read from the usage log: a declared trade
/// is one usage row with its border columns set (written by the usage writer, one insert per
/// trade). Filters and keyset paging by sequence number, for the API and CSV export.
/// </summary>
public sealed class SqliteDeclarationLog(SqliteDatabase db)
{
    /// <summary>Declarations matching the filter, oldest first, after sequence number
    /// <see cref="DeclarationQuery.After"/>.</summary>
    public IReadOnlyList<Declaration> Query(DeclarationQuery q)
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
            SELECT seq, request_id, ts, account_id, origin, destination, provider_id, model, data_class, categories,
                   detected, verdict, rules, redactions, input_tokens, output_tokens, cost, currency, rulebook
            FROM usage WHERE {where} ORDER BY seq {(q.Newest ? "DESC" : "")} LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(q.Limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var list = new List<Declaration>();
        while (r.Read())
        {
            list.Add(new Declaration
            {
                Seq = r.GetInt64(0),
                RequestId = r.GetString(1),
                Timestamp = DateTimeOffset.Parse(r.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                AccountId = r.GetString(3),
                Origin = r.GetString(4),
                Destination = r.IsDBNull(5) ? null : r.GetString(5),
                ProviderId = r.IsDBNull(6) ? null : r.GetString(6),
                Model = r.GetString(7),
                DataClass = r.GetString(8),
                Categories = r.GetString(9),
                Detected = r.GetString(10),
                Verdict = r.GetString(11),
                Rules = r.GetString(12),
                Redactions = r.GetInt32(13),
                InputTokens = r.GetInt64(14),
                OutputTokens = r.GetInt64(15),
                Value = decimal.Parse(r.GetString(16), CultureInfo.InvariantCulture),
                Currency = r.GetString(17),
                RuleBook = r.GetString(18),
            });
        }

        return list;
    }
}

/// <summary>Filters and paging for declarations; null means any.</summary>
public sealed record DeclarationQuery
{
    public string? AccountId { get; init; }
    public string? Origin { get; init; }
    public string? Destination { get; init; }
    public string? Verdict { get; init; }
    public string? ProviderId { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    public long After { get; init; }
    public int Limit { get; init; } = 100;

    /// <summary>Only refusals and redactions (what a compliance officer looks at first).</summary>
    public bool Interventions { get; init; }

    /// <summary>Newest first instead of oldest first.</summary>
    public bool Newest { get; init; }
}
