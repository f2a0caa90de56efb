using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

public class ReceiptRelayTests
{
    private const string Key = "ent-receipt-test-key-00000000";

    [Fact]
    public async Task PlainOpenAIProvider_GetsAnExchangeOnlyReceipt_MarkedSo()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, FeePercent = 10 },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key] }],
            Providers = [new ProviderSpec { Id = "plain", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 2m } }],
        };
        await using var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "receipt-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var r = await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await host.FlushAsync();

        var doc = JsonNode.Parse(await http.GetStringAsync("v1/receipts/" + r.Headers.GetValues("Entrepot-Request-Id").Single()))!.AsObject();
        Assert.Null(Receipts.Verify(doc));
        Assert.Equal("exchange-only", (string?)doc["receipt"]!["kind"]);
        Assert.Null(doc["seller"]);
        Assert.False((bool)doc["check"]!["seller_signature_verified"]!);
        Assert.Empty(doc["check"]!["flags"]!.AsArray());
        Assert.Equal(3L, (long)doc["receipt"]!["input_tokens"]!);
        Assert.Equal("0.000005", (string?)doc["receipt"]!["cost"]); // 3 x 1 + 1 x 2 per million
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("v1/receipts/req_unknown")).StatusCode);
    }
}
