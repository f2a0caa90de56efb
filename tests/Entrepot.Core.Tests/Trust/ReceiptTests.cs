using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Tests.Trust;

public class ReceiptTests
{
    private static string TempDir() => Directory.CreateTempSubdirectory("entrepot-keys-").FullName;

    private static JsonObject Body() => Receipts.Body("exporter", "req_1", 1, "buyer-a", "sg-1", "m", 25, 20, 0.40m, 1.20m, "USD",
        new DateTimeOffset(2026, 11, 28, 3, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 28, 3, 0, 1, TimeSpan.Zero), "ab", "cd");

    [Fact]
    public void CanonicalJson_SortsMembersByCodeUnits_MinimalEscapes()
    {
        var node = JsonNode.Parse("""{"b":1,"a":{"z":"x\u000a\"y","é":true,"A":[1,null,"\u0001"]},"":0}""");
        Assert.Equal("""{"":0,"a":{"A":[1,null,"\u0001"],"z":"x\n\"y","é":true},"b":1}""", Encoding.UTF8.GetString(CanonicalJson.Serialize(node)));
        Assert.Throws<FormatException>(() => CanonicalJson.Serialize(JsonNode.Parse("""{"x":1.5}""")));
    }

    [Fact]
    public void KeyIsCreatedOnceOwnerOnly_AndReloaded()
    {
        var dir = TempDir();
        using var a = SigningKey.LoadOrCreate(dir);
        using var b = SigningKey.LoadOrCreate(dir);
        Assert.Equal(a.KeyId, b.KeyId);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, SigningKey.FileName)));
        }
    }

    [Fact]
    public void SellerSigned_ExchangeCountersigned_VerifiesOffline_AndAnyChangeIsCaught()
    {
        using var seller = SigningKey.LoadOrCreate(TempDir());
        using var exchange = SigningKey.LoadOrCreate(TempDir());
        var sellerReceipt = Receipts.SignAsSeller(Body(), seller, "sg-1");
        Assert.Null(Receipts.VerifySeller((JsonObject)sellerReceipt["receipt"]!, (JsonObject)sellerReceipt["seller"]!));

        var check = new JsonObject { ["verified"] = true, ["flags"] = new JsonArray() };
        var full = Receipts.Countersign((JsonObject)sellerReceipt["receipt"]!, (JsonObject)sellerReceipt["seller"]!, check, exchange, "exchange-de");
        Assert.Null(Receipts.Verify(full));
        Assert.Null(Receipts.Verify(JsonNode.Parse(full.ToJsonString())!.AsObject(), exchange.KeyId, seller.KeyId));
        Assert.Null(Receipts.Verify(full, Receipts.Base64Url(exchange.PublicKey), Receipts.Base64Url(seller.PublicKey))); // whole keys
        Assert.NotNull(Receipts.Verify(full, trustedExchangeKey: Receipts.Base64Url(seller.PublicKey)));

        var tampered = JsonNode.Parse(full.ToJsonString())!.AsObject();
        tampered["receipt"]!["output_tokens"] = 2000;
        Assert.Contains("signature does not match", Receipts.Verify(tampered), StringComparison.Ordinal);

        var flagsChanged = JsonNode.Parse(full.ToJsonString())!.AsObject();
        flagsChanged["check"]!["verified"] = false;
        Assert.Contains("exchange signature", Receipts.Verify(flagsChanged), StringComparison.Ordinal);

        Assert.Equal(CanonicalJson.Serialize(full), CanonicalJson.Serialize(Receipts.FromHeader(Receipts.ToHeader(full))));
        Assert.Null(Receipts.Verify(Receipts.FromHeader(Receipts.ToHeader(full))!));
        Assert.Equal("0.000034", (string?)full["receipt"]!["cost"]);
    }
}
