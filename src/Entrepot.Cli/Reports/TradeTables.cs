using System.Globalization;
using Entrepot.Core.Statistics;
using Spectre.Console;

namespace Entrepot.Cli.Reports;

/// <summary>The trade report as three terminal tables: corridors, balances and daily flows.</summary>
internal static class TradeTables
{
    public static void Write(TradeFlows flows, TextWriter output)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = output == Console.Out ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.Detect,
        });
        console.WriteLine($"Trade {flows.Since:yyyy-MM-dd HH:mm} to {flows.Until:yyyy-MM-dd HH:mm} UTC");
        if (flows.Flows.Count == 0)
        {
            console.WriteLine("No trades delivered tokens in this period.");
            return;
        }

        var corridors = new Table().Title("Top corridors (origin -> destination)").AddColumns("origin", "destination", "trades", "tokens", "value", "currency");
        foreach (var c in flows.Corridors)
        {
            corridors.AddRow(c.Origin, c.Destination, N(c.Trades), N(c.Tokens), D(c.Value), c.Currency);
        }

        var balances = new Table().Title("Trade balance (exports - imports)").AddColumns("jurisdiction", "export tokens", "import tokens", "exports", "imports", "balance", "currency");
        foreach (var b in flows.Balances)
        {
            balances.AddRow(b.Jurisdiction, N(b.ExportTokens), N(b.ImportTokens), D(b.ExportValue), D(b.ImportValue), D(b.Balance), b.Currency);
        }

        var daily = new Table().Title("Daily flows").AddColumns("day", "origin", "destination", "trades", "tokens", "value", "currency");
        foreach (var f in flows.Flows)
        {
            daily.AddRow(f.Day, f.Origin, f.Destination, N(f.Trades), N(f.Tokens), D(f.Value), f.Currency);
        }

        foreach (var t in new[] { corridors, balances, daily })
        {
            foreach (var i in Enumerable.Range(2, t.Columns.Count - 2))
            {
                t.Columns[i].RightAligned();
            }

            console.Write(t);
        }
    }

    private static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string D(decimal d) => d.ToString("0.######", CultureInfo.InvariantCulture);
}
