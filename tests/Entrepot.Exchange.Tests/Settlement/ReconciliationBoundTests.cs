using System.Text.Json.Nodes;
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
        await using var m = await RogueMarket.StartAsync(Key, AdminKey);
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
        await using var m = await RogueMarket.StartAsync(Key, AdminKey);
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
