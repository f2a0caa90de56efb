using System.Globalization;
using Entrepot.Core.Budgets;

namespace Entrepot.Storage.Sqlite;

/// <summary>Budgets set through the admin API, kept so a restart does not lift them.</summary>
public sealed class SqliteBudgetStore(SqliteDatabase db, TimeProvider time)
{
    public void Save(Budget budget)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO budgets(scope, amount, currency, period, updated_at) VALUES ($s, $a, $c, $p, $t)
            ON CONFLICT(scope) DO UPDATE SET amount = excluded.amount, currency = excluded.currency, period = excluded.period, updated_at = excluded.updated_at
            """;
        cmd.Parameters.AddWithValue("$s", budget.Scope);
        cmd.Parameters.AddWithValue("$a", budget.Limit.ToString(CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("$c", budget.Currency);
        cmd.Parameters.AddWithValue("$p", budget.Period.ToString().ToLowerInvariant());
        cmd.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<Budget> All()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT scope, amount, currency, period FROM budgets ORDER BY scope";
        using var r = cmd.ExecuteReader();
        var list = new List<Budget>();
        while (r.Read())
        {
            var period = BudgetPeriods.TryParse(r.GetString(3), out var p) ? p : BudgetPeriod.Total;
            list.Add(new Budget(r.GetString(0), decimal.Parse(r.GetString(1), CultureInfo.InvariantCulture), r.GetString(2), period));
        }

        return list;
    }
}
