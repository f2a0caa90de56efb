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
        return new Command("report", "Reports from the exchange's records.") { invoice, Trade() };
    }

    /// <summary><c>entrepot report trade --period P [--format table|csv|json]</c>: daily flows by origin
    /// and destination, each jurisdiction's trade balance and the top corridors.</summary>
    private static Command Trade()
    {
        var dataDir = CommonOptions.DataDir();
        var period = new Option<string>("--period") { Description = $"The period: {Core.Statistics.TradeFlows.PeriodHelp}.", Required = true };
        var format = new Option<string>("--format") { Description = "table, csv or json.", DefaultValueFactory = _ => "table" };
        format.AcceptOnlyFromAmong("table", "csv", "json");
        var top = new Option<int>("--top") { Description = "How many corridors to list.", DefaultValueFactory = _ => 10 };
        var output = new Option<string?>("--output") { Description = "Write to this file instead of standard output." };
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Read the trades of every node of a cluster from this PostgreSQL database (an Npgsql connection string) instead of the data dir's SQLite file.",
        };
        var trade = new Command("trade", "Trade statistics: flows by origin and destination, balances, top corridors.") { period, format, top, output, dataDir, postgres };
        trade.SetAction(pr =>
        {
            if (!Core.Statistics.TradeFlows.TryParsePeriod(pr.GetValue(period), DateTimeOffset.UtcNow, out var since, out var until))
            {
                return CommonOptions.Fail($"--period must be {Core.Statistics.TradeFlows.PeriodHelp}, not '{pr.GetValue(period)}'.");
            }

            if (pr.GetValue(top) is < 1 or > 100)
            {
                return CommonOptions.Fail("--top must be between 1 and 100.");
            }

            Storage.ITradeHistory history;
            Storage.Postgres.PostgresDatabase? cluster = null;
            if (pr.GetValue(postgres) is { } connection)
            {
                try
                {
                    cluster = new Storage.Postgres.PostgresDatabase(connection);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException)
                {
                    return CommonOptions.Fail($"cannot read the PostgreSQL trade history: {e.Message}");
                }

                history = new Storage.Postgres.PostgresTradeHistory(cluster);
            }
            else
            {
                var given = Path.GetFullPath(pr.GetValue(dataDir)!);
                if (CommonOptions.ExchangeDatabase(given, out _) is not { } path)
                {
                    return CommonOptions.Fail($"no exchange database at {Path.Combine(given, "exchange.db")}.");
                }

                history = new SqliteTradeHistory(new SqliteDatabase(path));
            }

            using var owned = cluster;
            var kind = pr.GetValue(format)!;
            Core.Statistics.TradeFlows? flows = null;
            void Read() => flows = Core.Statistics.TradeFlows.Of(since, until, history.Flows(since, until), pr.GetValue(top));
            if (kind == "table" && pr.GetValue(output) is null)
            {
                Spectre.Console.AnsiConsole.Status().Start($"Reading trades {since:yyyy-MM-dd} to {until:yyyy-MM-dd}...", _ => Read());
            }
            else
            {
                Read();
            }

            using var stream = pr.GetValue(output) is { } file ? File.Create(file) : Console.OpenStandardOutput();
            using var text = new StreamWriter(stream) { NewLine = "\n" };
            switch (kind)
            {
                case "csv":
                    flows!.WriteCsv(text);
                    break;
                case "json":
                    text.WriteLine(System.Text.Json.JsonSerializer.Serialize(flows!, CliJsonContext.Default.TradeFlows));
                    break;
                default:
                    Reports.TradeTables.Write(flows!, text);
                    break;
            }

            return 0;
        });
        return trade;
    }
}
