using System.Net.Http.Headers;
using System.Text;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// One buyer cannot block a corridor for all: a bulk threshold counts the subjects each buyer account
/// sent, so a buyer flooding a seller with synthetic identifiers exhausts its own allowance and no
/// other buyer's, across restarts; and identities no period reaches are pruned from disk.
/// </summary>
public sealed class SubjectFloodTests
{
    private const string FlooderKey = "ent-subject-flood-flooder-0001";
    private const string HonestKey = "ent-subject-flood-honest-00001";

    private static string Rules()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-flood-rules-").FullName;
        File.WriteAllText(Path.Combine(dir, "bulk.yaml"), """
            pack: test-bulk
            title: A small bulk threshold
            authority: test
            law: test
            source: https://example.invalid/test-bulk
            rules:
              - id: test-bulk-deny
                title: Identifiers of more than five people a year to one seller are refused
                citation: test
                effective_from: 2020-01-01
                match:
                  origin: [DE]
                  data_classes: [personal]
                effect: deny
                threshold:
                  subjects: 5
                  category: personal-identifiers
                  period: rolling-12-months
                  per: counterparty
            """);
        return dir;
    }

    private static async Task<ExchangeHost> StartAsync(string dir, string rules, RogueSeller seller)
    {
        var host = ExchangeHost.Create(new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, Jurisdiction = "DE", RulesDir = rules },
            Accounts =
            [
                new AccountSpec { Id = "flooder", HomeJurisdiction = "DE", Keys = [FlooderKey] },
                new AccountSpec { Id = "honest", HomeJurisdiction = "DE", Keys = [HonestKey] },
            ],
            Providers =
            [
                new ProviderSpec
                {
                    Id = seller.Id, Kind = "exporter", BaseUrl = seller.V1.AbsoluteUri, Jurisdiction = "CN", Models = ["m"],
                    Price = new PriceSpec { Input = 1m, Output = 2m }, ReceiptPublicKey = seller.PublicKey,
                },
            ],
        }, dir);
        await host.StartAsync();
        return host;
    }

    private static async Task<int> Send(ExchangeHost host, string key, string text)
    {
        using var http = new HttpClient { BaseAddress = host.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var body = $$"""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"{{text}}"}]}""";
        using var r = await http.PostAsync("v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        return (int)r.StatusCode;
    }

    [Fact]
    public async Task AFlooderExhaustsItsOwnAllowance_NotItsCountrys()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-flood-").FullName;
        var rules = Rules();
        await using var seller = await RogueSeller.StartAsync("cn-seller");
        await using (var host = await StartAsync(dir, rules, seller))
        {
            // The flooder sends five synthetic people (each counted), then a sixth: refused.
            Assert.Equal(200, await Send(host, FlooderKey, "write to a1@example.com, a2@example.com and a3@example.com"));
            Assert.Equal(200, await Send(host, FlooderKey, "write to a4@example.com and a5@example.com"));
            await host.FlushAsync();
            Assert.Equal(451, await Send(host, FlooderKey, "write to a6@example.com"));
            Assert.Equal(451, await Send(host, FlooderKey, "write to a7@example.com, a8@example.com"));

            // Another buyer of the same country, to the same seller, starts from its own count.
            Assert.Equal(200, await Send(host, HonestKey, "write to b1@example.com and a1@example.com"));
            await host.FlushAsync();
        }

        // After a restart each count is still its own buyer's.
        await using (var host = await StartAsync(dir, rules, seller))
        {
            Assert.Equal(451, await Send(host, FlooderKey, "write to a9@example.com"));
            Assert.Equal(200, await Send(host, FlooderKey, "write to a2@example.com")); // already counted: still five
            Assert.Equal(200, await Send(host, HonestKey, "write to b2@example.com, b3@example.com, b4@example.com"));
            await host.FlushAsync(); // a trade's subjects count once it is recorded, just after its answer
            Assert.Equal(451, await Send(host, HonestKey, "write to b5@example.com and b6@example.com"));
        }
    }

    [Fact]
    public async Task SubjectsNoPeriodReaches_ArePrunedFromDisk_AtStart()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-flood-").FullName;
        await using var seller = await RogueSeller.StartAsync("cn-seller");
        var stale = DateTimeOffset.UtcNow.AddMonths(-13).UtcTicks;
        var fresh = DateTimeOffset.UtcNow.AddMonths(-11).UtcTicks;
        using (var c = new SqliteDatabase(Path.Combine(dir, "exchange.db")).Open())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"""
                INSERT INTO subjects VALUES ('flooder', 'DE', 'cn-seller', 'personal-identifiers', zeroblob(15) || x'01', {stale}),
                    ('flooder', 'DE', 'cn-seller', 'personal-identifiers', zeroblob(15) || x'02', {stale}),
                    ('flooder', 'DE', 'cn-seller', 'personal-identifiers', zeroblob(15) || x'03', {fresh});
                """;
            cmd.ExecuteNonQuery();
        }

        await using var host = await StartAsync(dir, Rules(), seller);
        var db = host.Services.GetRequiredService<SqliteDatabase>();
        long Left()
        {
            using var c = db.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM subjects";
            return (long)cmd.ExecuteScalar()!;
        }

        for (int i = 0; i < 100 && Left() != 1; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, Left());
        Assert.Equal(1, host.Services.GetRequiredService<Core.Border.Policy.SubjectCounter>().Count);
    }
}
