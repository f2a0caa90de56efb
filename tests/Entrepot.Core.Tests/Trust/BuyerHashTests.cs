using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Tests.Trust;

/// <summary>When the buyer's answer is not the seller's bytes (translated for another door, or with
/// placeholders restored), the exchange's countersignature covers the hash of what the buyer got.</summary>
public class BuyerHashTests
{
    private static readonly SigningKey Key = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-buyerhash-").FullName);

    private static ReceiptEvidence Evidence(bool exporter, string? buyerHash) => new()
    {
        RequestId = "req_1",
        Buyer = "acme",
        SellerId = "s1",
        SellerIsExporter = exporter,
        Model = "m",
        CountedInput = 10,
        CountedOutput = 5,
        InputPrice = 1m,
        OutputPrice = 2m,
        RequestSha256 = new string('a', 64),
        ResponseSha256 = new string('b', 64),
        BuyerResponseSha256 = buyerHash,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheBuyersHash_IsInTheCheck_UnderTheExchangesSignature(bool exporter)
    {
        var buyer = new string('c', 64);
        var check = ReceiptCheck.Settle(Evidence(exporter, buyer), Key, "exchange-de");
        var doc = Assert.IsType<JsonObject>(check.Document);
        Assert.Equal(buyer, (string?)doc["check"]!["buyer_response_sha256"]);
        Assert.Equal(new string('b', 64), (string?)doc["receipt"]!["response_sha256"]);
        Assert.Null(Receipts.Verify(doc));

        // Changed after signing, it no longer verifies.
        doc["check"]!["buyer_response_sha256"] = new string('d', 64);
        Assert.NotNull(Receipts.Verify(doc));
    }

    [Fact]
    public void WithoutOne_APlainSellersReceiptIsStillIssuedFromTheRow_AndNamesNoBuyerHash()
    {
        Assert.Null(ReceiptCheck.Settle(Evidence(false, null), Key, "exchange-de").Document);
        var doc = ReceiptCheck.Settle(Evidence(true, null), Key, "exchange-de").Document!;
        Assert.Null(doc["check"]!["buyer_response_sha256"]);
    }
}

/// <summary>Cached input tokens at the offer's cached price, reasoning tokens shown as part of the
/// output: the settlement, worked out by hand.</summary>
public class CachedTokenSettlementTests
{
    private static readonly SigningKey Key = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-cached-").FullName);

    private static ReceiptEvidence Evidence(long cached, long reasoning, decimal? cachedPrice) => new()
    {
        RequestId = "req_2",
        Buyer = "acme",
        SellerId = "s1",
        Model = "m",
        ClaimedInput = 1000,
        ClaimedOutput = 200,
        ClaimedCached = cached,
        ClaimedReasoning = reasoning,
        CountedInput = 1000,
        CountedOutput = 200,
        InputPrice = 2m,
        OutputPrice = 6m,
        CachedInputPrice = cachedPrice,
        RequestSha256 = new string('a', 64),
        ResponseSha256 = new string('b', 64),
    };

    [Fact]
    public void CachedTokens_ArePricedAtTheCachedPrice()
    {
        // (600 x 2 + 400 x 0.5 + 200 x 6) / 1,000,000 = 0.0026; without the cache it would be 0.0032.
        var check = ReceiptCheck.Settle(Evidence(400, 150, 0.5m), Key, "exchange-de");
        Assert.Equal(0.0026m, check.Cost);
        Assert.Equal(1000, check.InputTokens);
        Assert.Equal(200, check.OutputTokens);
        var settled = check.Document!["check"]!["settled"]!;
        Assert.Equal(400L, (long)settled["cached_input_tokens"]!);
        Assert.Equal(150L, (long)settled["reasoning_tokens"]!);
        Assert.Equal("0.5", (string?)settled["cached_input_price"]);
        Assert.Equal("0.0026", (string?)settled["cost"]);
        Assert.Null(Receipts.Verify(check.Document!));
    }

    [Fact]
    public void WithoutACachedPrice_OrWithAnAbsurdClaim_TheBuyerNeverPaysMore()
    {
        Assert.Equal(0.0032m, ReceiptCheck.Settle(Evidence(400, 0, null), Key, "exchange-de").Cost);
        // A claim of more cached tokens than input is held to the input: all 1,000 at 0.5, 200 at 6.
        Assert.Equal(0.0017m, ReceiptCheck.Settle(Evidence(5000, 9999, 0.5m), Key, "exchange-de").Cost);
        Assert.Equal(200L, (long)ReceiptCheck.Settle(Evidence(5000, 9999, 0.5m), Key, "exchange-de").Document!["check"]!["settled"]!["reasoning_tokens"]!);
    }
}
