using System.Globalization;
using System.Text.Json.Serialization;

namespace Entrepot.Core.Statistics;

/// <summary>One origin-destination pair over the whole period.</summary>
public sealed record Corridor(
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("destination")] string Destination,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("trades")] long Trades,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("value")] decimal Value);

/// <summary>
/// The trade picture of a period: daily flows by origin and destination, each jurisdiction's
/// balance, and the busiest cross-border corridors (by value, then tokens).
/// </summary>
public sealed record TradeFlows(
    [property: JsonPropertyName("since")] DateTimeOffset Since,
    [property: JsonPropertyName("until")] DateTimeOffset Until,
    [property: JsonPropertyName("flows")] IReadOnlyList<FlowRow> Flows,
    [property: JsonPropertyName("balances")] IReadOnlyList<TradeBalance> Balances,
    [property: JsonPropertyName("corridors")] IReadOnlyList<Corridor> Corridors)
{
    public static TradeFlows Of(DateTimeOffset since, DateTimeOffset until, IReadOnlyList<FlowRow> flows, int topCorridors = 10)
    {
        var corridors = flows
            .Where(f => f.Origin != f.Destination)
            .GroupBy(f => (f.Origin, f.Destination, f.Currency))
            .Select(g => new Corridor(g.Key.Origin, g.Key.Destination, g.Key.Currency, g.Sum(f => f.Trades), g.Sum(f => f.Tokens), g.Sum(f => f.Value)))
            .OrderByDescending(c => c.Value).ThenByDescending(c => c.Tokens).ThenBy(c => c.Origin, StringComparer.Ordinal).ThenBy(c => c.Destination, StringComparer.Ordinal)
            .ToList();

        var balances = new Dictionary<(string, string), (long Et, long It, decimal Ev, decimal Iv)>();
        foreach (var c in corridors)
        {
            var exp = balances.GetValueOrDefault((c.Destination, c.Currency));
            balances[(c.Destination, c.Currency)] = (exp.Et + c.Tokens, exp.It, exp.Ev + c.Value, exp.Iv);
            var imp = balances.GetValueOrDefault((c.Origin, c.Currency));
            balances[(c.Origin, c.Currency)] = (imp.Et, imp.It + c.Tokens, imp.Ev, imp.Iv + c.Value);
        }

        var list = balances
            .Select(b => new TradeBalance(b.Key.Item1, b.Key.Item2, b.Value.Et, b.Value.It, b.Value.Ev, b.Value.Iv))
            .OrderByDescending(b => b.Balance).ThenBy(b => b.Jurisdiction, StringComparer.Ordinal)
            .ToList();
        return new TradeFlows(since, until, flows, list, corridors.Take(topCorridors).ToList());
    }

    /// <summary>Three CSV sections (flows, balances, corridors), each with its header row.</summary>
    public void WriteCsv(TextWriter w)
    {
        static string D(decimal d) => d.ToString(CultureInfo.InvariantCulture);
        w.WriteLine("section,day,origin,destination,jurisdiction,currency,trades,tokens,value,export_tokens,import_tokens,export_value,import_value,balance");
        foreach (var f in Flows)
        {
            w.WriteLine($"flow,{f.Day},{f.Origin},{f.Destination},,{f.Currency},{f.Trades},{f.Tokens},{D(f.Value)},,,,,");
        }

        foreach (var b in Balances)
        {
            w.WriteLine($"balance,,,,{b.Jurisdiction},{b.Currency},,,,{b.ExportTokens},{b.ImportTokens},{D(b.ExportValue)},{D(b.ImportValue)},{D(b.Balance)}");
        }

        foreach (var c in Corridors)
        {
            w.WriteLine($"corridor,,{c.Origin},{c.Destination},,{c.Currency},{c.Trades},{c.Tokens},{D(c.Value)},,,,,");
        }
    }

    /// <summary>A period as the CLI and API accept it: YYYY, YYYY-MM, YYYY-MM-DD (UTC), or Nd for the last N days.</summary>
    public static bool TryParsePeriod(string? period, DateTimeOffset now, out DateTimeOffset since, out DateTimeOffset until)
    {
        (since, until) = (default, default);
        if (string.IsNullOrWhiteSpace(period))
        {
            return false;
        }

        var inv = CultureInfo.InvariantCulture;
        var utc = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        if (period.EndsWith('d') && int.TryParse(period.AsSpan(0, period.Length - 1), NumberStyles.None, inv, out var days) && days is > 0 and <= 3660)
        {
            until = now;
            since = now.AddDays(-days);
            return true;
        }

        if (DateTime.TryParseExact(period, "yyyy-MM-dd", inv, utc, out var day))
        {
            since = new DateTimeOffset(day, TimeSpan.Zero);
            until = since.AddDays(1);
            return true;
        }

        if (DateTime.TryParseExact(period, "yyyy-MM", inv, utc, out var month))
        {
            since = new DateTimeOffset(month, TimeSpan.Zero);
            until = since.AddMonths(1);
            return true;
        }

        if (DateTime.TryParseExact(period, "yyyy", inv, utc, out var year))
        {
            since = new DateTimeOffset(year, TimeSpan.Zero);
            until = since.AddYears(1);
            return true;
        }

        return false;
    }

    public static string PeriodHelp => "YYYY, YYYY-MM, YYYY-MM-DD (UTC) or Nd for the last N days (e.g. 7d)";
}
