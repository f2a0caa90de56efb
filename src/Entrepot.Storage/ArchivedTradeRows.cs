using System.Data.Common;
using Entrepot.Core.Metering;

namespace Entrepot.Storage;

/// <summary>
/// A trade as the usage log (SQLite) and the shared trade history (PostgreSQL) both select it:
/// <see cref="Columns"/>, in that order. Only the time and the cost are stored differently (text in
/// SQLite, typed in PostgreSQL): the caller reads them.
/// </summary>
internal static class ArchivedTradeRows
{
    public const string Columns = """
        request_id, ts, account_id, provider_id, model, origin, destination, input_tokens, output_tokens, cost, currency, outcome,
        declared, data_class, categories, detected, verdict, rules, redactions, rulebook
        """;

    public const int TimeColumn = 1;
    public const int CostColumn = 9;

    public static ArchivedTrade Read(DbDataReader r, DateTimeOffset timestamp, decimal cost) => new(
        r.GetString(0), timestamp, r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), r.GetString(5),
        r.IsDBNull(6) ? null : r.GetString(6), r.GetInt64(7), r.GetInt64(8), cost, r.GetString(10), r.GetString(11),
        // declared: an integer in SQLite, a boolean in PostgreSQL
        !Convert.ToBoolean(r.GetValue(12), System.Globalization.CultureInfo.InvariantCulture) ? null
            : new BorderRecord(r.GetString(13), r.GetString(14), r.GetString(15), r.GetString(16), r.GetString(17), r.GetInt32(18), r.GetString(19)));
}
