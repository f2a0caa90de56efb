using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Settlement;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>
/// A reconciliation pass reads a bounded number of a node's receipts and says more are waiting; the
/// passes after it go on from its cursor, and every lost trade in the log is billed exactly once, the
/// trades billed live never again, however the log is cut into passes.
/// </summary>
public sealed class ReconciliationBoundTests
{
    private const string Key = "ent-recon-bound-buyer-key-0001";
    private const string AdminKey = "ent-recon-bound-admin-key-0001";

    [Fact]
    public async Task ABoundedPass_SaysMoreIsWaiting_AndThePassesAfterItBillEachLostTradeOnce()
    {
        await using var seller = await RogueSeller.StartAsync("rogue");
        var dir = Directory.CreateTempSubdirectory("entrepot-recon-bound-").FullName;
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey, Jurisdiction = "DE" },
            Accounts = [new AccountSpec { Id = "buyer", HomeJurisdiction = "DE", Keys = [Key] }],
            Providers =
            [
                new ProviderSpec
                {
                    Id = "rogue", Kind = "exporter", BaseUrl = seller.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"],
                    Price = new PriceSpec { Input = 1m, Output = 2m }, ReceiptPublicKey = seller.PublicKey,
                },
            ],
        };
        await using var host = ExchangeHost.Create(config, dir);
        await host.StartAsync();
        host.Services.GetRequiredService<Reconciler>().MaxPerNode = 4;
        using var buyer = new HttpClient { BaseAddress = host.BaseUrl };
        buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var admin = new HttpClient { BaseAddress = host.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);

        // Two trades billed live: their receipts in the log must bill nothing more.
        var live = new List<SellerCall>();
        for (var i = 0; i < 2; i++)
        {
            var answer = await buyer.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)answer.StatusCode);
            live.Add(seller.Last!);
        }

        await host.FlushAsync();

        // Nine trades the exchange forwarded and lost (sealed with its own key, as it seals them).
        using var exchangeKey = SigningKey.LoadOrCreate(dir);
        var quoteKey = exchangeKey.DeriveSecret(Relay.SellerRequests.QuoteKeyLabel);
        var alias = live[0].Buyer;
        var issued = DateTimeOffset.UtcNow.AddMinutes(-5);
        JsonObject Receipt(string requestId, int attempt, string quote)
        {
            var body = Receipts.Body("exporter", requestId, attempt, alias, "rogue", "m", 10, 8, 1m, 2m, "USD", issued, issued, new string('a', 64), new string('b', 64));
            body["quote"] = quote;
            return seller.SignReceipt(body);
        }

        var lost = Enumerable.Range(1, 9).Select(i => $"req_lost_{i}").ToList();
        lock (seller.Log)
        {
            foreach (var id in lost.Take(3))
            {
                seller.Log.Add(Receipt(id, 1, new Quote(id, 1, "rogue", alias, 1m, 2m, "USD", 300, 16, issued).Seal(quoteKey)));
            }

            seller.Log.Add(Receipt(live[0].RequestId, live[0].Attempt, live[0].Quote));
            foreach (var id in lost.Skip(3))
            {
                seller.Log.Add(Receipt(id, 1, new Quote(id, 1, "rogue", alias, 1m, 2m, "USD", 300, 16, issued).Seal(quoteKey)));
            }

            seller.Log.Add(Receipt(live[1].RequestId, live[1].Attempt, live[1].Quote));
        }

        // 11 receipts, 4 a pass: 4, 4 and 3, the cursor moving on each time.
        var passes = new List<JsonNode>();
        for (var i = 0; i < 3; i++)
        {
            passes.Add(JsonNode.Parse(await (await admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!["nodes"]!.AsArray().Single()!);
        }

        Assert.Equal([4, 4, 3], passes.Select(n => (int)n["fetched"]!));
        Assert.Equal([4L, 8, 11], passes.Select(n => (long)n["cursor"]!));
        Assert.Equal([true, true, false], passes.Select(n => (bool)n["more"]!));
        Assert.Equal([3, 4, 2], passes.Select(n => (int)n["posted"]!));
        Assert.Equal([1, 0, 1], passes.Select(n => (int)n["already_billed"]!));

        var again = JsonNode.Parse(await (await admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!["nodes"]!.AsArray().Single()!;
        Assert.Equal((0, 0, false), ((int)again["fetched"]!, (int)again["posted"]!, (bool)again["more"]!));

        await host.FlushAsync();
        using (var c = host.Services.GetRequiredService<SqliteDatabase>().Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT receipt_id FROM ledger ORDER BY seq";
            using var r = cmd.ExecuteReader();
            var billed = new List<string>();
            while (r.Read())
            {
                billed.Add(r.GetString(0));
            }

            Assert.Equal(11, billed.Count);
            Assert.Equal(billed.Count, billed.Distinct().Count());
            Assert.Equal(lost.Concat(live.Select(l => l.RequestId)).Order(StringComparer.Ordinal), billed.Order(StringComparer.Ordinal));
        }

        Assert.Null(SqliteLedger.Audit(host.Services.GetRequiredService<SqliteDatabase>(), exchangeKey.PublicKey).Problem);
    }
    [Fact]
    public async Task AReadThatFailsPartWay_MovesTheCursorPastWhatItDecided()
    {
        await using var seller = await RogueSeller.StartAsync("rogue");
        var dir = Directory.CreateTempSubdirectory("entrepot-recon-fail-").FullName;
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, AdminKey = AdminKey, Jurisdiction = "DE" },
            Accounts = [new AccountSpec { Id = "buyer", HomeJurisdiction = "DE", Keys = [Key] }],
            Providers =
            [
                new ProviderSpec
                {
                    Id = "rogue", Kind = "exporter", BaseUrl = seller.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"],
                    Price = new PriceSpec { Input = 1m, Output = 2m }, ReceiptPublicKey = seller.PublicKey,
                },
            ],
        };
        await using var host = ExchangeHost.Create(config, dir);
        await host.StartAsync();
        using var buyer = new HttpClient { BaseAddress = host.BaseUrl };
        buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var admin = new HttpClient { BaseAddress = host.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        Assert.Equal(200, (int)(await buyer.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"))).StatusCode);
        var alias = seller.Last!.Buyer;

        using var exchangeKey = SigningKey.LoadOrCreate(dir);
        var quoteKey = exchangeKey.DeriveSecret(Relay.SellerRequests.QuoteKeyLabel);
        var issued = DateTimeOffset.UtcNow.AddMinutes(-5);
        lock (seller.Log)
        {
            for (var i = 1; i <= 6; i++)
            {
                var id = $"req_lost_{i}";
                var body = Receipts.Body("exporter", id, 1, alias, "rogue", "m", 10, 8, 1m, 2m, "USD", issued, issued, new string('a', 64), new string('b', 64));
                body["quote"] = new Quote(id, 1, "rogue", alias, 1m, 2m, "USD", 300, 16, issued).Seal(quoteKey);
                seller.Log.Add(seller.SignReceipt(body));
            }
        }

        // Pages of two; the node fails on the third page of the first pass.
        seller.LogPageSize = 2;
        seller.LogFailsAfterPages = 2;
        var first = JsonNode.Parse(await (await admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!["nodes"]!.AsArray().Single()!;
        Assert.NotNull((string?)first["error"]);
        Assert.Equal((4, 4L, 4), ((int)first["fetched"]!, (long)first["cursor"]!, (int)first["posted"]!));

        // The next pass starts after the four it decided: it reads two receipts, not six.
        seller.LogFailsAfterPages = null;
        var second = JsonNode.Parse(await (await admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!["nodes"]!.AsArray().Single()!;
        Assert.Null((string?)second["error"]);
        Assert.Equal((2, 6L, 2, 0), ((int)second["fetched"]!, (long)second["cursor"]!, (int)second["posted"]!, (int)second["already_billed"]!));

        await host.FlushAsync();
        using var c = host.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*), COUNT(DISTINCT receipt_id) FROM ledger WHERE receipt_id LIKE 'req_lost_%'";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal((6L, 6L), (r.GetInt64(0), r.GetInt64(1)));
    }
}
