using Entrepot.Storage.Sqlite;

namespace Entrepot.Exchange.Hosting;

/// <summary>What a budget scope has spent since a time, read from this node's usage log (the
/// budgets' starting point after a restart).</summary>
internal static class SpentLedger
{
    public static decimal SpentSince(SqliteDatabase db, string scope, DateTimeOffset since, string currency, decimal feePercent, Core.Market.ExchangeRates? rates)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        bool key = scope.StartsWith("key:", StringComparison.Ordinal);
        cmd.CommandText = $"SELECT cost, currency FROM usage WHERE {(key ? "key_id" : "account_id")} = $a AND ts >= $t";
        cmd.Parameters.AddWithValue("$a", scope[(scope.IndexOf(':', StringComparison.Ordinal) + 1)..]);
        cmd.Parameters.AddWithValue("$t", since.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        using var r = cmd.ExecuteReader();
        decimal sum = 0;
        while (r.Read())
        {
            // Each trade as it was settled against the budget: in its currency, or converted at the rate table.
            var cost = Core.Ledger.LedgerEntry.BuyerDebit(decimal.Parse(r.GetString(0), System.Globalization.CultureInfo.InvariantCulture), feePercent);
            var from = r.GetString(1);
            if (from == currency)
            {
                sum += cost;
            }
            else if (rates is not null && rates.TryConvert(cost, from, currency, out var converted))
            {
                sum += converted;
            }
        }

        return sum;
    }
}
