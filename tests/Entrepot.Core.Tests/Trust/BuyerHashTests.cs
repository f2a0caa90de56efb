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
