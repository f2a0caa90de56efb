using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Microsoft.Extensions.DependencyInjection;

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

        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        var text = await http.GetStringAsync("v1/receipts/" + id);
        var doc = JsonNode.Parse(text)!.AsObject();
        Assert.Null(Receipts.Verify(doc));
        Assert.Equal("exchange-only", (string?)doc["receipt"]!["kind"]);
        Assert.Null(doc["seller"]);
        Assert.False((bool)doc["check"]!["seller_signature_verified"]!);
        Assert.Empty(doc["check"]!["flags"]!.AsArray());
        Assert.Equal(3L, (long)doc["receipt"]!["input_tokens"]!);
        Assert.Equal("0.000005", (string?)doc["receipt"]!["cost"]); // 3 x 1 + 1 x 2 per million
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("v1/receipts/req_unknown")).StatusCode);

        // Countersigned from the trade's row when asked for: the same bytes every time.
        Assert.Equal(text, await http.GetStringAsync("v1/receipts/" + id));

        // Billed once in the ledger, at the receipt's cost plus the 10 % fee.
        using var c = host.Services.GetRequiredService<Storage.Sqlite.SqliteDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT postings FROM ledger WHERE receipt_id = $r";
        cmd.Parameters.AddWithValue("$r", id);
        Assert.Equal("buyer:buyer=-0.0000055|seller:plain=0.000005|exchange:fees=0.0000005", cmd.ExecuteScalar());
    }
}
