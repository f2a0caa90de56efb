using System.Net.Http.Headers;
using System.Text.Json;

namespace Entrepot.EndToEnd.Tests;

/// <summary>Rate limits, budgets and the border stand behind every door alike, each refusal in the
/// door's own error shape.</summary>
public class DoorControlsTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private async Task<(HttpClient Admin, string Key, string KeyId)> NewBuyerAsync(string account, string home)
    {
        var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", demo.Market.AdminKey);
        var created = await admin.PostAsync("admin/accounts", Json.Body($$"""{"id":"{{account}}","home_jurisdiction":"{{home}}"}"""));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var issued = await (await admin.PostAsync($"admin/accounts/{account}/keys", null)).ReadJsonAsync();
        return (admin, issued.GetProperty("key").GetString()!, issued.GetProperty("key_id").GetString()!);
    }

    private HttpClient Messages(string key)
    {
        var http = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        http.DefaultRequestHeaders.Add("x-api-key", key);
        http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return http;
    }

    private StringContent Ask() => Json.Body($$"""{"model":"{{demo.Market.ModelName}}","max_tokens":4,"messages":[{"role":"user","content":"Once upon a time"}]}""");

    private static async Task<JsonElement> AnthropicError(HttpResponseMessage r)
    {
        var body = await r.ReadJsonAsync();
        Assert.Equal("error", body.GetProperty("type").GetString());
        return body.GetProperty("error");
    }

    [Fact]
    public async Task ARateLimit_RefusesTheMessagesDoor_WithRetryAfter_InAnthropicsShape()
    {
        var (admin, key, keyId) = await NewBuyerAsync("door-limited", "DE");
        using (admin)
        {
            var put = await admin.PutAsync($"admin/keys/{keyId}/limits", Json.Body("""{"requests_per_minute":1}"""));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var http = Messages(key);
        Assert.Equal(200, (int)(await http.PostAsync("v1/messages", Ask())).StatusCode);
        var refused = await http.PostAsync("v1/messages", Ask());
        Assert.Equal(429, (int)refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        Assert.Equal("rate_limit_error", (await AnthropicError(refused)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task AnEmptyBudget_RefusesEveryDoor_InItsOwnShape()
    {
        var (admin, key, keyId) = await NewBuyerAsync("door-broke", "DE");
        using (admin)
        {
            var put = await admin.PutAsync($"admin/keys/{keyId}/budget", Json.Body("""{"amount":0,"currency":"USD","period":"total"}"""));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var http = Messages(key);
        var refused = await http.PostAsync("v1/messages", Ask());
        Assert.Equal(402, (int)refused.StatusCode);
        Assert.Equal("billing_error", (await AnthropicError(refused)).GetProperty("type").GetString());

        using var openai = new HttpClient { BaseAddress = demo.V1 };
        openai.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var responses = await openai.PostAsync("responses", Json.Body($$"""{"model":"{{demo.Market.ModelName}}","input":"Once","max_output_tokens":16}"""));
        Assert.Equal(402, (int)responses.StatusCode);
        Assert.Equal("budget_exceeded", (await responses.ReadJsonAsync()).GetProperty("error").GetProperty("code").GetString());
        var embeddings = await openai.PostAsync("embeddings", Json.Body($$"""{"model":"{{demo.Market.ModelName}}","input":"Once"}"""));
        Assert.Equal(402, (int)embeddings.StatusCode);
    }

    [Fact]
    public async Task TheBorder_RefusesTheMessagesDoor_WithNothingSent_InAnthropicsShape()
    {
        var (admin, key, _) = await NewBuyerAsync("door-agency", "US");
        admin.Dispose();
        using var http = Messages(key);
        http.DefaultRequestHeaders.Add("Entrepot-Data-Class", "government-related");
        http.DefaultRequestHeaders.Add("Entrepot-Provider-Preferences", """{"only":["cn-shanghai"]}""");
        var before = demo.Market.Nodes["cn-shanghai"].Received;
        var refused = await http.PostAsync("v1/messages", Ask());
        Assert.Equal(451, (int)refused.StatusCode);
        Assert.StartsWith("verdict=deny", refused.Header("Entrepot-Policy"), StringComparison.Ordinal);
        Assert.Equal("permission_error", (await AnthropicError(refused)).GetProperty("type").GetString());
        Assert.Equal(before, demo.Market.Nodes["cn-shanghai"].Received);
    }
}
