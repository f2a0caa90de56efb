using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Budgets;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests;

/// <summary>Budget holds against concurrent load: the maximum cost is held before forwarding and
/// settled after, so a small budget is never overspent.</summary>
public class BudgetTests
{
    private const string Key = "ent-budget-test-key-000000000";
    private const string AdminKey = "ent-budget-test-admin-key-00";

    [Fact]
    public async Task TwoHundredConcurrentRequests_SmallBudget_OverspendIsExactlyZero()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        upstream.Behaviour = async (_, ctx) =>
        {
            await Task.Delay(20); // the answers overlap, so holds are taken while others are in flight
            await FaultyUpstream.Ok(ctx);
        };
        const decimal limit = 0.0025m;
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, FeePercent = 5, AdminKey = AdminKey },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key], Budget = new BudgetSpec { Amount = limit, Currency = "USD", Period = "month" } }],
            Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 1m } }],
        };
        await using var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "budget-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);

        var tasks = Enumerable.Range(0, 200).Select(_ => http.PostAsync("v1/chat/completions",
            new StringContent("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json")));
        var responses = await Task.WhenAll(tasks);
        var ok = responses.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.PaymentRequired).ToList();
        Assert.Equal(200, ok + refused.Count);
        Assert.True(ok > 0 && refused.Count > 0, $"{ok} served, {refused.Count} refused");
        using var error = JsonDocument.Parse(await refused[0].Content.ReadAsStringAsync());
        Assert.Equal("budget_exceeded", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("account:buyer", error.RootElement.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        await host.FlushAsync();
        var (spent, held, _) = host.Services.GetRequiredService<IBudgetBook>().Status("account:buyer")!.Value;
        Assert.Equal(0m, held);
        Assert.True(spent <= limit, $"spent {spent} of {limit}");
        var billed = host.Trades.Recent(1000, "buyer").Sum(u => u.Cost) * 1.05m;
        Assert.Equal(spent, billed);                       // the budget saw exactly what was billed
        Assert.Equal(ok * 0.000004m * 1.05m, billed);      // 3 + 1 tokens at 1 per million, plus the 5 % fee
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BudgetInEuros_SellerInDollars_HeldAndSettledAtTheRateTable(bool withRates)
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection
            {
                Port = 0, FeePercent = 5, AdminKey = AdminKey,
                Rates = withRates ? new RatesSection { Base = "USD", Source = "test table", AsOf = "2026-11-27", PerBase = new() { ["EUR"] = 0.8m } } : null,
            },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key], Budget = new BudgetSpec { Amount = 1m, Currency = "EUR", Period = "month" } }],
            Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 1m, Currency = "USD" } }],
        };
        var dir = Path.Combine(Path.GetTempPath(), "entrepot-tests", "budget-fx-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var host = ExchangeHost.Create(config, dir))
        {
            await host.StartAsync();
            using var http = new HttpClient { BaseAddress = host.BaseUrl };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            var r = await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            if (!withRates)
            {
                // No rate: a dollar price cannot be held against a euro budget, and the buyer is told why.
                Assert.Equal(HttpStatusCode.PaymentRequired, r.StatusCode);
                Assert.Contains("currency (EUR)", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
                return;
            }

            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            await host.FlushAsync();
            var (spent, held, _) = host.Services.GetRequiredService<IBudgetBook>().Status("account:buyer")!.Value;
            Assert.Equal(0m, held);
            Assert.Equal(0.000004m * 1.05m * 0.8m, spent); // 4 tokens at 1 USD per million, 5 % fee, at 0.8 EUR per USD
        }

        // A restart counts what was spent, converted the same way.
        await using var again = ExchangeHost.Create(config, dir);
        var (spentAfter, _, _) = again.Services.GetRequiredService<IBudgetBook>().Status("account:buyer")!.Value;
        Assert.Equal(0.000004m * 1.05m * 0.8m, spentAfter);
    }

    [Fact]
    public async Task AdminBudget_IsStored_ARestartKeepsItWithWhatWasSpent()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key] }],
            Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 1m } }],
        };
        var dir = Path.Combine(Path.GetTempPath(), "entrepot-tests", "budget-stored-" + Guid.NewGuid().ToString("N")[..8]);
        const string request = """{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""";
        await using (var host = ExchangeHost.Create(config, dir))
        {
            await host.StartAsync();
            using var admin = new HttpClient { BaseAddress = host.BaseUrl };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync("admin/accounts/buyer/budget", new StringContent("""{"amount":1,"currency":"USD","period":"month"}""", Encoding.UTF8, "application/json"))).StatusCode);
            using var http = new HttpClient { BaseAddress = host.BaseUrl };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("v1/chat/completions", new StringContent(request, Encoding.UTF8, "application/json"))).StatusCode);
            await host.FlushAsync();
        }

        await using var again = ExchangeHost.Create(config, dir);
        var (spent, held, limit) = again.Services.GetRequiredService<IBudgetBook>().Status("account:buyer")!.Value;
        Assert.Equal(1m, limit);
        Assert.Equal(0.000004m, spent); // the one request's 4 tokens at 1 per million, counted again from the usage log
        Assert.Equal(0m, held);
    }

    [Fact]
    public async Task KeyBudgetSetByAdmin_Applies_BadBudgetNamesTheField()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key] }],
            Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 1m } }],
        };
        await using var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "budget-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        using var admin = new HttpClient { BaseAddress = host.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var keyId = "cfg_" + Convert.ToHexStringLower(Core.Accounts.ApiKeyHash.Compute(Key))[..16];
        var bad = await admin.PutAsync($"admin/keys/{keyId}/budget", new StringContent("""{"amount":1,"period":"week"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"param\":\"period\"", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var set = await admin.PutAsync($"admin/keys/{keyId}/budget", new StringContent("""{"amount":0.0000001,"currency":"USD","period":"day"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, set.StatusCode);

        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var r = await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.PaymentRequired, r.StatusCode);
        Assert.Equal(0, upstream.Calls);
    }
}
