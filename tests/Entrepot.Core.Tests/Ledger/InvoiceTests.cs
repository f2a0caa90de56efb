using System.Text.Json;
using Entrepot.Core.Ledger;
using Entrepot.Core.Market;

namespace Entrepot.Core.Tests.Ledger;

public class InvoiceTests
{
    private static InvoiceLine Line(long seq, string currency, decimal net, decimal fee) =>
        new(seq, "req_" + seq, DateTimeOffset.UnixEpoch, "s", "m", 1, 1, currency, net, fee, net + fee, "h" + seq);

    [Fact]
    public void TotalsPerCurrencyAreExact_ConvertedTotalUsesTheRateTable_NamesWhatItCouldNotConvert()
    {
        var lines = new[] { Line(1, "USD", 0.000005m, 0.0000001m), Line(2, "USD", 0.00001m, 0.0000002m), Line(3, "CNY", 0.07m, 0.0014m), Line(4, "JPY", 1m, 0.02m) };
        var invoice = new Invoice("acme", "2026-11", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMonths(1), lines)
        {
            AccountCurrency = "EUR",
            Rates = new ExchangeRates("USD", new Dictionary<string, decimal> { ["EUR"] = 0.8m, ["CNY"] = 7m }, "test table", "2026-11-27"),
        };

        var usd = invoice.Totals.Single(t => t.Currency == "USD");
        Assert.Equal(0.0000153m, usd.Total);
        Assert.Equal(usd.Net + usd.Fees, usd.Total);
        var (total, unconverted) = invoice.InAccountCurrency()!.Value;
        // By hand: USD 0.0000153 x 0.8 = 0.00001224 EUR; CNY 0.0714 / 7 = 0.0102 USD x 0.8 = 0.00816 EUR; 0.00817224 in all.
        Assert.Equal(0.00817224m, total);
        Assert.Equal(["JPY"], unconverted);

        using var stream = new MemoryStream();
        invoice.WriteJson(stream);
        using var doc = JsonDocument.Parse(stream.ToArray());
        var converted = doc.RootElement.GetProperty("account_currency");
        Assert.Equal("EUR", converted.GetProperty("currency").GetString());
        Assert.Equal("0.00817224", converted.GetProperty("total").GetString());
        Assert.Equal("test table", converted.GetProperty("rates").GetProperty("source").GetString());

        var csv = new StringWriter();
        invoice.WriteCsv(csv);
        Assert.Contains("TOTAL_CONVERTED", csv.ToString(), StringComparison.Ordinal);
        Assert.Contains("not converted: JPY", csv.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Periods_AreCalendarMonths_BadOnesRefused()
    {
        Assert.True(Invoice.TryParsePeriod("2026-02", out var from, out var to));
        Assert.Equal(new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero), from);
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), to);
        Assert.False(Invoice.TryParsePeriod("2026-13", out _, out _));
        Assert.False(Invoice.TryParsePeriod("2026/11", out _, out _));
        Assert.False(Invoice.TryParsePeriod(null, out _, out _));
    }
}
