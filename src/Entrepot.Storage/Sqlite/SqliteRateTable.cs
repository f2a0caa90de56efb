using System.Globalization;
using Entrepot.Core.Market;

namespace Entrepot.Storage.Sqlite;

/// <summary>The rate table the exchange runs with, kept in its database so reports made later from the
/// database alone (invoices) convert with the same figures and can name their source.</summary>
public static class SqliteRateTable
{
    /// <summary>Replaces the stored table (null: none).</summary>
    public static void Save(SqliteDatabase db, ExchangeRates? rates)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "DELETE FROM rates";
        cmd.ExecuteNonQuery();
        if (rates is not null)
        {
            cmd.CommandText = "INSERT INTO rates(currency, per_base, base, source, as_of) VALUES ($c, $r, $b, $s, $d)";
            var cur = cmd.Parameters.Add("$c", Microsoft.Data.Sqlite.SqliteType.Text);
            var rate = cmd.Parameters.Add("$r", Microsoft.Data.Sqlite.SqliteType.Text);
            cmd.Parameters.AddWithValue("$b", rates.BaseCurrency);
            cmd.Parameters.AddWithValue("$s", rates.Source);
            cmd.Parameters.AddWithValue("$d", rates.AsOf);
            foreach (var (code, perBase) in rates.PerBase)
            {
                cur.Value = code;
                rate.Value = perBase.ToString(CultureInfo.InvariantCulture);
                cmd.ExecuteNonQuery();
            }
        }

        tx.Commit();
    }

    public static ExchangeRates? Load(SqliteDatabase db)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT currency, per_base, base, source, as_of FROM rates";
        using var r = cmd.ExecuteReader();
        var table = new Dictionary<string, decimal>(StringComparer.Ordinal);
        string? baseCurrency = null, source = null, asOf = null;
        while (r.Read())
        {
            table[r.GetString(0)] = decimal.Parse(r.GetString(1), CultureInfo.InvariantCulture);
            (baseCurrency, source, asOf) = (r.GetString(2), r.GetString(3), r.GetString(4));
        }

        return baseCurrency is null ? null : new ExchangeRates(baseCurrency, table, source!, asOf!);
    }
}
