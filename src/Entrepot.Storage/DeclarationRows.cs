using System.Data.Common;
using Entrepot.Core.Border;

namespace Entrepot.Storage;

/// <summary>
/// A declaration as both trade histories (SQLite, PostgreSQL) select it: seq, request_id, ts,
/// account_id, origin, destination, provider_id, model, data_class, categories, detected, verdict,
/// rules, redactions, input_tokens, output_tokens, cost, currency, rulebook, in that order. Only the
/// time and the value are stored differently (text in SQLite, typed in PostgreSQL): the caller reads them.
/// </summary>
internal static class DeclarationRows
{
    public const string Columns = """
        seq, request_id, ts, account_id, origin, destination, provider_id, model, data_class, categories,
        detected, verdict, rules, redactions, input_tokens, output_tokens, cost, currency, rulebook
        """;

    public const int TimeColumn = 2;
    public const int ValueColumn = 16;

    public static Declaration Read(DbDataReader r, DateTimeOffset timestamp, decimal value) => new()
    {
        Seq = r.GetInt64(0),
        RequestId = r.GetString(1),
        Timestamp = timestamp,
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
        Value = value,
        Currency = r.GetString(17),
        RuleBook = r.GetString(18),
    };
}
