using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

public class RelayFailoverTests
{
    private const string Key = "ent-exchange-test-key-0000";
    private const string Body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<ExchangeHost> StartExchange(params (string Id, FaultyUpstream Upstream, decimal Price, double Timeout)[] sellers)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, DefaultSort = "price" },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key] }],
            Providers = sellers.Select(s => new ProviderSpec
            {
                Id = s.Id, Kind = "openai", BaseUrl = s.Upstream.V1.AbsoluteUri, Jurisdiction = "US", Models = ["m"],
                Price = new PriceSpec { Input = s.Price, Output = s.Price }, TimeoutSeconds = s.Timeout,
            }).ToList(),
        };
        var dir = Path.Combine(Path.GetTempPath(), "entrepot-tests", "exchange-" + Guid.NewGuid().ToString("N")[..8]);
        var host = ExchangeHost.Create(config, dir);
        await host.StartAsync();
        return host;
    }

    private static async Task<HttpResponseMessage> Post(ExchangeHost host)
    {
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return await http.PostAsync("v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
    }

    [Fact]
    public async Task Seller5xx_FailsOverToNext_InPriceOrder()
    {
        await using var cheap = await FaultyUpstream.StartAsync();
        await using var dear = await FaultyUpstream.StartAsync();
        cheap.Behaviour = (_, ctx) => FaultyUpstream.Status(ctx, 503);
        await using var host = await StartExchange(("cheap", cheap, 0.1m, 30), ("dear", dear, 5m, 30));

        var response = await Post(host);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("dear", response.Headers.GetValues("Entrepot-Provider").Single());
        Assert.Equal(1, cheap.Calls);
        Assert.Equal(1, dear.Calls);

        await host.FlushAsync(); // waits for the request to finish recording, then for the writer
        var row = host.Trades.Recent(1).Single();
        Assert.Equal(2, row.Attempts);
        Assert.Equal(3, row.InputTokens);
        Assert.Equal("dear", row.ProviderId);
        Assert.Equal(4 * 5m / 1_000_000m, row.Cost);
    }

    [Fact]
    public async Task SellerTimeout_BeforeFirstByte_FailsOver()
    {
        await using var slow = await FaultyUpstream.StartAsync();
        await using var ok = await FaultyUpstream.StartAsync();
        slow.Behaviour = async (_, ctx) => await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
        await using var host = await StartExchange(("slow", slow, 0.1m, 0.5), ("ok", ok, 5m, 30));

        var response = await Post(host);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("ok", response.Headers.GetValues("Entrepot-Provider").Single());
    }

    [Fact]
    public async Task CircuitOpens_AfterRepeatedFailures_FailingSellerNoLongerCalled()
    {
        await using var bad = await FaultyUpstream.StartAsync();
        await using var good = await FaultyUpstream.StartAsync();
        bad.Behaviour = (_, ctx) => FaultyUpstream.Status(ctx, 500);
        await using var host = await StartExchange(("bad", bad, 0.1m, 30), ("good", good, 5m, 30));

        for (var i = 0; i < 6; i++)
        {
            Assert.Equal(200, (int)(await Post(host)).StatusCode);
        }

        Assert.Equal(3, bad.Calls); // the breaker opened after its threshold of 3
        Assert.Equal(6, good.Calls);
    }

    [Fact]
    public async Task AllSellers429_BuyerGets429WithRetryAfter()
    {
        await using var a = await FaultyUpstream.StartAsync();
        a.Behaviour = (_, ctx) =>
        {
            ctx.Response.Headers.RetryAfter = "7";
            return FaultyUpstream.Status(ctx, 429);
        };
        await using var host = await StartExchange(("a", a, 1m, 30));

        var response = await Post(host);
        Assert.Equal(429, (int)response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter!.Delta);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal("sellers_at_capacity", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Seller4xx_PassedToBuyer_NotRetriedElsewhere()
    {
        await using var a = await FaultyUpstream.StartAsync();
        await using var b = await FaultyUpstream.StartAsync();
        a.Behaviour = (_, ctx) => FaultyUpstream.Status(ctx, 400);
        await using var host = await StartExchange(("a", a, 0.1m, 30), ("b", b, 5m, 30));

        var response = await Post(host);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(0, b.Calls);
    }

    [Fact]
    public async Task AdminApi_AddsSellerAndBuyerKey_AtRuntime()
    {
        await using var seller = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig { Exchange = new ExchangeSection { Port = 0, AdminKey = "admin-key-for-tests-000" } };
        await using var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "admin-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseUrl };

        Assert.Equal(401, (int)(await admin.GetAsync("admin/providers")).StatusCode);
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "admin-key-for-tests-000");

        var bad = await admin.PutAsync("admin/providers/x", new StringContent("""{"base_url":"nope"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)bad.StatusCode);
        Assert.Contains("base_url", await bad.Content.ReadAsStringAsync());

        var put = await admin.PutAsync("admin/providers/s1", new StringContent(
            $$$"""{"kind":"openai","base_url":"{{{seller.V1}}}","jurisdiction":"JP","models":["m"],"price":{"input":1,"output":2}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)put.StatusCode);
        Assert.Equal(201, (int)(await admin.PostAsync("admin/accounts", new StringContent("""{"id":"acme","home_jurisdiction":"FR"}""", Encoding.UTF8, "application/json"))).StatusCode);
        var issued = JsonDocument.Parse(await (await admin.PostAsync("admin/accounts/acme/keys", null)).Content.ReadAsStringAsync()).RootElement;
        var key = issued.GetProperty("key").GetString()!;

        using var buyer = new HttpClient { BaseAddress = host.BaseUrl };
        buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await buyer.PostAsync("v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("JP", response.Headers.GetValues("Entrepot-Jurisdiction").Single());

        Assert.Equal(204, (int)(await admin.DeleteAsync("admin/keys/" + issued.GetProperty("key_id").GetString())).StatusCode);
        Assert.Equal(401, (int)(await buyer.PostAsync("v1/chat/completions", new StringContent(Body, Encoding.UTF8, "application/json"))).StatusCode);
    }
}
