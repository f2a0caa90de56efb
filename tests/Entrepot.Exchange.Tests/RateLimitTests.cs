using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

public class RateLimitTests
{
    private const string Key = "ent-ratelimit-test-key-000000";
    private const string AdminKey = "ent-ratelimit-admin-key-00000";

    private static async Task<(ExchangeHost Host, FaultyUpstream Upstream)> Start(LimitsSpec? limits)
    {
        var upstream = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [Key], Limits = limits }],
            Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 1m } }],
        };
        var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "limits-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        return (host, upstream);
    }

    private static Task<HttpResponseMessage> Ask(HttpClient http, int maxTokens = 8) => http.PostAsync("v1/chat/completions",
        new StringContent($$"""{"model":"m","max_tokens":{{maxTokens}},"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task RequestsPerMinute_BeyondTheLimit_429WithRetryAfter_AndTheLimitNamed()
    {
        var (host, upstream) = await Start(new LimitsSpec { RequestsPerMinute = 5 });
        await using var _ = host;
        await using var __ = upstream;
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        var codes = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 8; i++)
        {
            var r = await Ask(http);
            codes.Add(r.StatusCode);
            limited ??= r.StatusCode == HttpStatusCode.TooManyRequests ? r : null;
        }

        Assert.Equal(5, codes.Count(c => c == HttpStatusCode.OK));
        Assert.Equal(3, codes.Count(c => c == HttpStatusCode.TooManyRequests));
        Assert.Equal(5, upstream.Calls);
        Assert.NotNull(limited!.Headers.RetryAfter);
        using var doc = JsonDocument.Parse(await limited.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("requests_per_minute of account:buyer (5)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TokensPerMinute_SetByAdminOnTheKey_Applies()
    {
        var (host, upstream) = await Start(null);
        await using var _ = host;
        await using var __ = upstream;
        using var admin = new HttpClient { BaseAddress = host.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var keyId = "cfg_" + Convert.ToHexStringLower(Core.Accounts.ApiKeyHash.Compute(Key))[..16];
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsync($"admin/keys/{keyId}/limits", new StringContent("""{"tokens_per_minute":1000}""", Encoding.UTF8, "application/json"))).StatusCode);
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Assert.Equal(HttpStatusCode.OK, (await Ask(http, 600)).StatusCode);
        var second = await Ask(http, 600);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Contains("tokens_per_minute of key:", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
