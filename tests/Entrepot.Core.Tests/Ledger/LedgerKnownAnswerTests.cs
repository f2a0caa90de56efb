using Entrepot.Core.Ledger;

namespace Entrepot.Core.Tests.Ledger;

/// <summary>
/// Ledger entries worked out by hand, not by the code under test: the postings of a trade (cost plus
/// a 2 % fee), and the SHA-256 of each entry's canonical text, computed outside this code base (the
/// text is written out here; `printf %s "$text" | sha256sum` gives the same digest).
/// </summary>
public sealed class LedgerKnownAnswerTests
{
    private const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    // {"currency":"USD","postings":[{"account":"buyer:acme","amount":"-0.00002856"},{"account":"seller:sg-1","amount":"0.000028"},
    //  {"account":"exchange:fees","amount":"0.00000056"}],"prev":"000…0","receipt_id":"req_1","seq":1,"ts":"2026-12-01T00:00:00.0000000Z"}
    private const string FirstHash = "40170f2f1693c2265457f533ec43c74c470c993b1aa5ed53da811fa6c1328560";

    // {"currency":"EUR","postings":[{"account":"buyer:b\"q","amount":"-1.5"},{"account":"seller:de-1","amount":"1.5"},
    //  {"account":"exchange:fees","amount":"0"}],"prev":"40170f…8560","receipt_id":"req_2","seq":2,"ts":"2026-12-01T12:30:45.1234567Z"}
    private const string SecondHash = "cfac3a3bbbde87849088353fb19208aeb3f3892c3addb296d35ae156fa0c6fcc";

    [Fact]
    public void ATradesPostings_AreCostPlusFee_AsWorkedOutByHand()
    {
        // 28 tokens at 1.00 per million = 0.000028; a 2 % fee on it = 0.00000056; the buyer pays 0.00002856.
        var postings = LedgerEntry.ForTrade("acme", "sg-1", 0.000028m, 2m);
        Assert.Equal(
            [("buyer:acme", -0.00002856m), ("seller:sg-1", 0.000028m), ("exchange:fees", 0.00000056m)],
            postings.Select(p => (p.Account, p.Amount)));
    }

    [Fact]
    public void EntryHashes_AreTheSha256OfTheCanonicalText_WorkedOutOutsideTheCode()
    {
        var first = LedgerEntry.Create(1, "req_1", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), "USD",
            LedgerEntry.ForTrade("acme", "sg-1", 0.000028m, 2m), Genesis);
        Assert.Equal(FirstHash, first.Hash);

        // An account name that needs escaping, a zero fee, and a time with all seven fractional digits.
        var second = LedgerEntry.Create(2, "req_2", new DateTimeOffset(2026, 12, 1, 12, 30, 45, TimeSpan.Zero).AddTicks(1_234_567), "EUR",
            LedgerEntry.ForTrade("b\"q", "de-1", 1.5m, 0m), first.Hash);
        Assert.Equal(SecondHash, second.Hash);
        Assert.True(first.Balanced && second.Balanced);
    }
}
