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

    /// <summary>An exchange with one exporter seller whose receipt log the test writes, and what a test needs of both.</summary>
    private sealed class Market : IAsyncDisposable
    {
        public required RogueSeller Seller { get; init; }
        public required ExchangeHost Host { get; init; }
        public required HttpClient Buyer { get; init; }
        public required HttpClient Admin { get; init; }
        public required SigningKey ExchangeKey { get; init; }

        public static async Task<Market> StartAsync()
        {
            var seller = await RogueSeller.StartAsync("rogue");
            var dir = Directory.CreateTempSubdirectory("entrepot-recon-bound-").FullName;
            var host = ExchangeHost.Create(new ExchangeConfig
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
            }, dir);
            await host.StartAsync();
            // The pass every start makes, over a log still empty: done before a test writes the log and
            // runs its own passes (the next comes five minutes later).
            await host.FirstReconciliation;
            var buyer = new HttpClient { BaseAddress = host.BaseUrl };
            buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
            var admin = new HttpClient { BaseAddress = host.BaseUrl };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            return new Market { Seller = seller, Host = host, Buyer = buyer, Admin = admin, ExchangeKey = SigningKey.LoadOrCreate(dir) };
        }

        /// <summary>A trade bought and billed live; what the seller saw of it.</summary>
        public async Task<SellerCall> BuyAsync()
        {
            var answer = await Buyer.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
            Assert.Equal(200, (int)answer.StatusCode);
            return Seller.Last!;
        }

        /// <summary>The seller's signed receipt for an attempt the exchange forwarded and lost (its quote sealed
        /// with the exchange's own key, as the exchange seals them), or with the quote given.</summary>
        public JsonObject LostReceipt(string requestId, string alias, string? quote = null)
        {
            var issued = DateTimeOffset.UtcNow.AddMinutes(-5);
            var body = Receipts.Body("exporter", requestId, 1, alias, "rogue", "m", 10, 8, 1m, 2m, "USD", issued, issued, new string('a', 64), new string('b', 64));
            body["quote"] = quote ?? new Quote(requestId, 1, "rogue", alias, 1m, 2m, "USD", 300, 16, issued).Seal(ExchangeKey.DeriveSecret(Relay.SellerRequests.QuoteKeyLabel));
            return Seller.SignReceipt(body);
        }

        /// <summary>One reconciliation pass now: the seller's entry of its report.</summary>
        public async Task<JsonNode> ReconcileAsync() =>
            JsonNode.Parse(await (await Admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!["nodes"]!.AsArray().Single()!;

        /// <summary>The ledger's receipt ids, in order.</summary>
        public List<string> Billed()
        {
            using var c = Host.Services.GetRequiredService<SqliteDatabase>().Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT receipt_id FROM ledger ORDER BY seq";
            using var r = cmd.ExecuteReader();
            var billed = new List<string>();
            while (r.Read())
            {
                billed.Add(r.GetString(0));
            }

            return billed;
        }

        public async ValueTask DisposeAsync()
        {
            Buyer.Dispose();
            Admin.Dispose();
            ExchangeKey.Dispose();
            await Host.DisposeAsync();
            await Seller.DisposeAsync();
        }
    }

    [Fact]
    public async Task ABoundedPass_SaysMoreIsWaiting_AndThePassesAfterItBillEachLostTradeOnce()
    {
        await using var m = await Market.StartAsync();
        m.Host.Services.GetRequiredService<Reconciler>().MaxPerNode = 4;

        // Two trades billed live: their receipts in the log must bill nothing more.
        var live = new List<SellerCall> { await m.BuyAsync(), await m.BuyAsync() };
        await m.Host.FlushAsync();
        var alias = live[0].Buyer;

        // Nine trades the exchange forwarded and lost, with the live trades' receipts among them.
        var lost = Enumerable.Range(1, 9).Select(i => $"req_lost_{i}").ToList();
        lock (m.Seller.Log)
        {
            m.Seller.Log.AddRange(lost.Take(3).Select(id => m.LostReceipt(id, alias)));
            m.Seller.Log.Add(m.LostReceipt(live[0].RequestId, alias, live[0].Quote));
            m.Seller.Log.AddRange(lost.Skip(3).Select(id => m.LostReceipt(id, alias)));
            m.Seller.Log.Add(m.LostReceipt(live[1].RequestId, alias, live[1].Quote));
        }

        // 11 receipts, 4 a pass: 4, 4 and 3, the cursor moving on each time.
        var passes = new List<JsonNode> { await m.ReconcileAsync(), await m.ReconcileAsync(), await m.ReconcileAsync() };
        Assert.Equal([4, 4, 3], passes.Select(n => (int)n["fetched"]!));
        Assert.Equal([4L, 8, 11], passes.Select(n => (long)n["cursor"]!));
        Assert.Equal([true, true, false], passes.Select(n => (bool)n["more"]!));
        Assert.Equal([3, 4, 2], passes.Select(n => (int)n["posted"]!));
        Assert.Equal([1, 0, 1], passes.Select(n => (int)n["already_billed"]!));

        var again = await m.ReconcileAsync();
        Assert.Equal((0, 0, false), ((int)again["fetched"]!, (int)again["posted"]!, (bool)again["more"]!));

        await m.Host.FlushAsync();
        var billed = m.Billed();
        Assert.Equal(11, billed.Count);
        Assert.Equal(lost.Concat(live.Select(l => l.RequestId)).Order(StringComparer.Ordinal), billed.Order(StringComparer.Ordinal));
        Assert.Null(SqliteLedger.Audit(m.Host.Services.GetRequiredService<SqliteDatabase>(), m.ExchangeKey.PublicKey).Problem);
    }

    [Fact]
    public async Task AReadThatFailsPartWay_MovesTheCursorPastWhatItDecided()
    {
        await using var m = await Market.StartAsync();
        var alias = (await m.BuyAsync()).Buyer;
        lock (m.Seller.Log)
        {
            m.Seller.Log.AddRange(Enumerable.Range(1, 6).Select(i => m.LostReceipt($"req_lost_{i}", alias)));
        }

        // Pages of two; the node fails on the third page of the first pass.
        m.Seller.LogPageSize = 2;
        m.Seller.LogFailsAfterPages = 2;
        var first = await m.ReconcileAsync();
        Assert.NotNull((string?)first["error"]);
        Assert.Equal((4, 4L, 4), ((int)first["fetched"]!, (long)first["cursor"]!, (int)first["posted"]!));

        // The next pass starts after the four it decided: it reads two receipts, not six.
        m.Seller.LogFailsAfterPages = null;
        var second = await m.ReconcileAsync();
        Assert.Null((string?)second["error"]);
        Assert.Equal((2, 6L, 2, 0), ((int)second["fetched"]!, (long)second["cursor"]!, (int)second["posted"]!, (int)second["already_billed"]!));

        await m.Host.FlushAsync();
        Assert.Equal(7, m.Billed().Count); // the live trade and the six lost ones, once each
    }
}
