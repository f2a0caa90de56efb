using System.CommandLine;
using Entrepot.Core.Ledger;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot report invoice --account A --period YYYY-MM [--format json|csv]</c>: a buyer's
/// monthly invoice from the exchange's ledger, totals per currency equal to the ledger's postings.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var account = new Option<string>("--account") { Description = "The buyer account.", Required = true };
        var period = new Option<string>("--period") { Description = "The month, as YYYY-MM (UTC).", Required = true };
        var format = new Option<string>("--format") { Description = "json or csv.", DefaultValueFactory = _ => "json" };
        format.AcceptOnlyFromAmong("json", "csv");
        var output = new Option<string?>("--output") { Description = "Write to this file instead of standard output." };
        var invoice = new Command("invoice", "A buyer's invoice for a month, from the ledger.") { account, period, format, output, dataDir };
        invoice.SetAction(pr =>
        {
            if (!Invoice.TryParsePeriod(pr.GetValue(period), out var from, out var to))
            {
                return CommonOptions.Fail($"--period must be a month as YYYY-MM (e.g. {DateTime.UtcNow:yyyy-MM}), not '{pr.GetValue(period)}'.");
            }

            var given = Path.GetFullPath(pr.GetValue(dataDir)!);
            if (CommonOptions.ExchangeDatabase(given, out _) is not { } path)
            {
                return CommonOptions.Fail($"no exchange database at {Path.Combine(given, "exchange.db")}.");
            }

            var db = new SqliteDatabase(path);
            var id = pr.GetValue(account)!;
            if (new SqliteAccountStore(db, TimeProvider.System).Find(id) is not { } buyer)
            {
                return CommonOptions.Fail($"no account '{id}' in {path}.");
            }

            var result = SqliteLedger.Invoice(db, id, pr.GetValue(period)!, from, to) with
            {
                AccountCurrency = buyer.Currency,
                Rates = SqliteRateTable.Load(db),
            };
            using var stream = pr.GetValue(output) is { } file ? File.Create(file) : Console.OpenStandardOutput();
            if (pr.GetValue(format) == "csv")
            {
                using var text = new StreamWriter(stream) { NewLine = "\n" };
                result.WriteCsv(text);
            }
            else
            {
                result.WriteJson(stream);
                stream.WriteByte((byte)'\n');
            }

            return 0;
        });
        return new Command("report", "Reports from the exchange's records.") { invoice };
    }
}
