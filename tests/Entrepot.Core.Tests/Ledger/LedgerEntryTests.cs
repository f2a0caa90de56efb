using System.Security.Cryptography;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Tests.Ledger;

public class LedgerEntryTests
{
    [Theory]
    [InlineData("req_1", "USD", "acme", "sg-1", "0.000123", "2")]
    [InlineData("req \"quoted\" \\ back\nslash", "EUR", "b\u00fcyer-\u4e2d", "seller\t1", "12345.6789012345", "0")]
    [InlineData("r", "JPY", "\u0001ctl", "s", "0", "2.5")]
    public void FastHashIsTheCanonicalJsonOfTheEntry(string receiptId, string currency, string buyer, string seller, string cost, string fee)
    {
        var postings = LedgerEntry.ForTrade(buyer, seller, decimal.Parse(cost, System.Globalization.CultureInfo.InvariantCulture),
            decimal.Parse(fee, System.Globalization.CultureInfo.InvariantCulture));
        var ts = new DateTimeOffset(2026, 11, 28, 4, 5, 6, TimeSpan.FromHours(8)).AddTicks(1234567);
        var prev = Convert.ToHexStringLower(SHA256.HashData([1, 2, 3]));

        var slow = Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(LedgerEntry.Content(42, receiptId, ts, currency, postings, prev))));

        Assert.Equal(slow, LedgerEntry.ComputeHash(42, receiptId, ts, currency, postings, prev));
    }

    [Fact]
    public void PostingsOfATradeBalance()
    {
        var entry = LedgerEntry.Create(1, "r", DateTimeOffset.UnixEpoch, "USD", LedgerEntry.ForTrade("a", "s", 0.0000003m, 2m), LedgerEntry.Genesis);
        Assert.True(entry.Balanced);
        Assert.Equal(3, entry.Postings.Count);
    }

    [Theory]
    [InlineData("5.500", "5.5")]
    [InlineData("5.000", "5")]
    [InlineData("100", "100")]
    [InlineData("-0.00000550", "-0.0000055")]
    [InlineData("0.000", "0")]
    [InlineData("-0.000", "0")]
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335")]
    [InlineData("0.0000000000000000000000000010", "0.000000000000000000000000001")]
    public void AmountsHaveOneCanonicalText(string value, string expected)
    {
        var d = decimal.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(expected, LedgerEntry.Amount(d));
        // The form ledgers were written with before the text was trimmed: division by one.
        Assert.Equal((d / 1.000000000000000000000000000000000m).ToString(System.Globalization.CultureInfo.InvariantCulture), LedgerEntry.Amount(d));
    }

    [Fact]
    public void TimesAreUtcWithSevenDigitsAndZ()
    {
        var t = new DateTimeOffset(2026, 11, 28, 12, 0, 1, TimeSpan.FromHours(8)).AddTicks(1234567);
        Assert.Equal("2026-11-28T04:00:01.1234567Z", LedgerEntry.FormatTime(t));
    }
}
