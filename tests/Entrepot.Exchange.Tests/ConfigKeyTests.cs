using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// The configuration file owns the keys it defines: a key removed from the file stops working at the
/// next start, a key moved to another account in the file moves, and a key issued through the admin
/// API is not the file's to touch.
/// </summary>
public sealed class ConfigKeyTests
{
    private const string AdminKey = "ent-config-keys-admin-key-0001";
    private const string Removed = "ent-config-key-removed-000000001";
    private const string Moved = "ent-config-key-moved-00000000001";

    internal static ExchangeConfig Config(FaultyUpstream upstream, params (string Account, string Key)[] keys) => new()
    {
        Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey },
        Accounts = new[] { "alpha", "beta" }.Select(id => new AccountSpec { Id = id, HomeJurisdiction = "DE", Keys = keys.Where(k => k.Account == id).Select(k => k.Key).ToList() }).ToList(),
        Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 1m } }],
    };

    /// <summary>The account a key trades as (from its own usage log row), or null when it is refused.</summary>
    internal static async Task<string?> AccountOf(ExchangeHost host, string key)
    {
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var r = await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        if ((int)r.StatusCode == 401)
        {
            return null;
        }

        Assert.Equal(200, (int)r.StatusCode);
        await host.FlushAsync();
        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        return host.Trades.Recent(1000).Single(u => u.RequestId == id).AccountId;
    }

    [Fact]
    public async Task AKeyRemovedFromTheFile_IsRevokedAtTheNextStart_AMovedKeyMoves_AnIssuedKeyStays()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var dir = Directory.CreateTempSubdirectory("entrepot-config-keys-").FullName;
        string issued;
        await using (var host = ExchangeHost.Create(Config(upstream, ("alpha", Removed), ("beta", Moved)), dir))
        {
            await host.StartAsync();
            Assert.Equal("alpha", await AccountOf(host, Removed));
            Assert.Equal("beta", await AccountOf(host, Moved));
            using var admin = new HttpClient { BaseAddress = host.BaseUrl };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            issued = (string)JsonNode.Parse(await (await admin.PostAsync("admin/accounts/alpha/keys", null)).Content.ReadAsStringAsync())!["key"]!;
        }

        // The file now: the first key gone, the second given to alpha.
        await using (var host = ExchangeHost.Create(Config(upstream, ("alpha", Moved)), dir))
        {
            await host.StartAsync();
            Assert.Null(await AccountOf(host, Removed));
            Assert.Equal("alpha", await AccountOf(host, Moved));
            Assert.Equal("alpha", await AccountOf(host, issued));
        }

        // Put back in the file, the removed key works again (the file owns it).
        await using (var host = ExchangeHost.Create(Config(upstream, ("alpha", Moved), ("beta", Removed)), dir))
        {
            await host.StartAsync();
            Assert.Equal("beta", await AccountOf(host, Removed));
        }
    }
}
