using System.Net.Http.Headers;
using System.Text;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// Whoever can read the exchange's files should find no secret in clear: the data directory is the
/// owner's only (0700), its databases and key 0600, and an upstream seller's API key added through the
/// admin API is stored sealed under the exchange's key (or only named, by environment variable).
/// </summary>
public sealed class SecretsTests
{
    private const string AdminKey = "ent-secrets-test-admin-key-0001";
    private const string BuyerKey = "ent-secrets-test-buyer-key-0001";

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task TheDataDirectoryIsTheOwnersOnly_AndAnUpstreamKeyIsStoredSealed()
    {
        await using var upstream = await FaultyUpstream.StartAsync();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        upstream.Behaviour = (_, ctx) =>
        {
            seen.Enqueue(ctx.Request.Headers.Authorization.ToString());
            return FaultyUpstream.Ok(ctx);
        };
        var dir = Path.Combine(Directory.CreateTempSubdirectory("entrepot-secrets-").FullName, "data");
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey },
            Accounts = [new AccountSpec { Id = "buyer", Keys = [BuyerKey] }],
        };
        const string secret = "sk-upstream-secret-do-not-store-0001";
        Environment.SetEnvironmentVariable("ENTREPOT_TEST_UPSTREAM_KEY", "sk-from-the-environment-0001");
        async Task<string> ChatThrough(ExchangeHost host, string seller)
        {
            using var buyer = new HttpClient { BaseAddress = host.BaseUrl };
            buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BuyerKey);
            var r = await buyer.PostAsync("v1/chat/completions", new StringContent(
                $$$"""{"model":"m","messages":[{"role":"user","content":"hi"}],"provider":{"only":["{{{seller}}}"]}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)r.StatusCode);
            return seen.Last();
        }

        await using (var host = ExchangeHost.Create(config, dir))
        {
            await host.StartAsync();
            using var admin = new HttpClient { BaseAddress = host.BaseUrl };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            Assert.Equal(200, (int)(await admin.PutAsync("admin/providers/sealed", new StringContent(
                $$"""{"kind":"openai","base_url":"{{upstream.V1.AbsoluteUri}}","jurisdiction":"DE","models":["m"],"price":{"input":1,"output":1},"api_key":"{{secret}}"}""",
                Encoding.UTF8, "application/json"))).StatusCode);
            Assert.Equal(200, (int)(await admin.PutAsync("admin/providers/named", new StringContent(
                $$"""{"kind":"openai","base_url":"{{upstream.V1.AbsoluteUri}}","jurisdiction":"DE","models":["m"],"price":{"input":1,"output":1},"api_key_env":"ENTREPOT_TEST_UPSTREAM_KEY"}""",
                Encoding.UTF8, "application/json"))).StatusCode);
            Assert.Equal("Bearer " + secret, await ChatThrough(host, "sealed"));
            Assert.Equal("Bearer sk-from-the-environment-0001", await ChatThrough(host, "named"));
            Assert.DoesNotContain(secret, await admin.GetStringAsync("admin/providers"), StringComparison.Ordinal);

            using var c = host.Services.GetRequiredService<SqliteDatabase>().Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT group_concat(spec, ' ') FROM providers";
            var stored = (string)cmd.ExecuteScalar()!;
            Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
            Assert.DoesNotContain("sk-from-the-environment", stored, StringComparison.Ordinal);
            Assert.Contains("enc:v1:", stored, StringComparison.Ordinal);
        }

        // Files: the directory, the databases (and SQLite's -wal beside them) and the key, the owner's only.
        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        foreach (var f in Directory.GetFiles(dir).Where(f => f.Contains("exchange.db", StringComparison.Ordinal) || f.EndsWith(".ed25519", StringComparison.Ordinal)))
        {
            Assert.True(File.GetUnixFileMode(f) == owner, $"{f}: {File.GetUnixFileMode(f)}");
        }

        // A directory loosened by hand is tightened at the next start; the sealed key still opens.
        File.SetUnixFileMode(dir, owner | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using (var again = ExchangeHost.Create(config, dir))
        {
            await again.StartAsync();
            Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
            Assert.Equal("Bearer " + secret, await ChatThrough(again, "sealed"));
        }
    }
}
