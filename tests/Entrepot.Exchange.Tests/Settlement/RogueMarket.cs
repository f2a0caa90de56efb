using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>An exchange with one exporter seller whose receipt log the test writes, and what a test needs of both.</summary>
internal sealed class RogueMarket : IAsyncDisposable
{
    public required RogueSeller Seller { get; init; }
    public required ExchangeHost Host { get; init; }
    public required HttpClient Buyer { get; init; }
    public required HttpClient Admin { get; init; }
    public required SigningKey ExchangeKey { get; init; }

    public static async Task<RogueMarket> StartAsync(string buyerKey, string adminKey, decimal feePercent = 0)
    {
        var seller = await RogueSeller.StartAsync("rogue");
        var dir = Directory.CreateTempSubdirectory("entrepot-rogue-market-").FullName;
        var host = ExchangeHost.Create(new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, FeePercent = feePercent, AdminKey = adminKey, Jurisdiction = "DE" },
            Accounts = [new AccountSpec { Id = "buyer", HomeJurisdiction = "DE", Keys = [buyerKey] }],
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
        buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", buyerKey);
        var admin = new HttpClient { BaseAddress = host.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        return new RogueMarket { Seller = seller, Host = host, Buyer = buyer, Admin = admin, ExchangeKey = SigningKey.LoadOrCreate(dir) };
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
