using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>
/// A seller's receipt log is read when the exchange may have missed a trade; a hostile seller fills it
/// with receipts for trades that never happened, at prices it likes, for attempts that failed. Only a
/// receipt for an attempt the exchange sealed a quote for, that it has no record of, the last of its
/// request, within the quote's bounds, is billed: once, at the quote's price; the rest is refused and
/// counted against the seller.
/// </summary>
public sealed class ReconciliationAttackTests
{
    private const string Key = "ent-recon-attack-buyer-key-001";
    private const string AdminKey = "ent-recon-attack-admin-key-001";

    [Fact]
    public async Task OnlyAttemptsTheExchangeSealed_AreBilledFromALog_OnceAtTheQuote()
    {
        await using var m = await RogueMarket.StartAsync(Key, AdminKey, feePercent: 2);
        var (seller, host, buyer, admin, exchangeKey) = (m.Seller, m.Host, m.Buyer, m.Admin, m.ExchangeKey);

        // A real trade first: what a genuine quote and pseudonym look like to the seller.
        var real = await buyer.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)real.StatusCode);
        var realId = real.Headers.GetValues("Entrepot-Request-Id").Single();
        var seen = seller.Last!;
        Assert.StartsWith("buyer_", seen.Buyer, StringComparison.Ordinal);
        Assert.NotEqual("buyer", seen.Buyer);
        var quote = Quote.Read(seen.Quote)!;
        Assert.Equal((realId, 1, "rogue", 1m, 2m), (quote.RequestId, quote.Attempt, quote.Seller, quote.InputPrice, quote.OutputPrice));

        // A request every attempt of which failed: the exchange recorded it (upstream_failed), billed nothing.
        seller.Plan = _ => new SellerAnswer { Status = 500 };
        var failed = await buyer.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(502, (int)failed.StatusCode);
        var failedCall = seller.Last!;
        await host.FlushAsync();

        // What the exchange would have sealed for attempts it forwarded and then lost (killed before it
        // recorded them): made here with the exchange's own key, as the exchange makes them.
        var quoteKey = exchangeKey.DeriveSecret(Relay.SellerRequests.QuoteKeyLabel);
        var alias = seen.Buyer;
        string Sealed(string requestId, int attempt, long maxIn = 300, long maxOut = 16) =>
            new Quote(requestId, attempt, "rogue", alias, 1m, 2m, "USD", maxIn, maxOut, DateTimeOffset.UtcNow.AddMinutes(-5)).Seal(quoteKey);
        JsonObject Receipt(string requestId, int attempt, string? quoteToken, long input = 10, long output = 8, decimal inputPrice = 1m, decimal outputPrice = 2m, string buyerAlias = "")
        {
            var body = Receipts.Body("exporter", requestId, attempt, buyerAlias.Length > 0 ? buyerAlias : alias, "rogue", "m", input, output, inputPrice, outputPrice, "USD",
                DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(-5), new string('a', 64), new string('b', 64));
            if (quoteToken is not null)
            {
                body["quote"] = quoteToken;
            }

            return seller.SignReceipt(body);
        }

        var forged = Quote.Read(Sealed("req_forged", 1))! with { InputPrice = 50m }; // terms changed, seal kept
        var forgedToken = string.Join('.', Sealed("req_forged", 1).Split('.')[0], Receipts.Base64Url(Encoding.UTF8.GetBytes("v1|req_forged|1|rogue|" + alias + "|50|2|USD|300|16|" + forged.Issued.ToUnixTimeMilliseconds())), Sealed("req_forged", 1).Split('.')[2]);
        var lost = Sealed("req_lost", 2);
        lock (seller.Log)
        {
            seller.Log.AddRange(
            [
                Receipt("req_invented", 1, null),                                    // no quote at all
                Receipt("req_forged", 1, forgedToken, inputPrice: 50m),               // terms changed under the seal
                Receipt("req_other", 1, Sealed("req_lost", 2)),                       // a real quote, for another request
                Receipt("req_big", 1, Sealed("req_big", 1), output: 5000),            // beyond the quote's max_tokens
                Receipt(failedCall.RequestId, failedCall.Attempt, failedCall.Quote), // an attempt that failed
                Receipt(realId, 1, seen.Quote),                                       // already billed live
                Receipt("req_lost", 1, Sealed("req_lost", 1)),                        // superseded by attempt 2
                Receipt("req_lost", 2, lost, inputPrice: 9m, outputPrice: 9m),        // the lost trade: billed at the quote
                Receipt("req_lost", 2, lost, inputPrice: 9m, outputPrice: 9m),        // and only once
                Receipt("req_elsewhere", 1, Sealed("req_elsewhere", 1), buyerAlias: "buyer_0123456789abcdef0123"),
            ]);
        }

        var report = JsonNode.Parse(await (await admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!;
        Assert.Equal(1, (int)report["posted"]!);
        var node = report["nodes"]!.AsArray().Single()!;
        var refusals = node["refusals"]!.AsObject().ToDictionary(kv => kv.Key, kv => (int)kv.Value!);
        Assert.Equal(2, refusals["carries no quote the exchange sealed (invented or altered)"]);
        Assert.Equal(2, refusals["its quote was sealed for another request, attempt, seller or buyer"]);
        Assert.Equal(1, refusals["counts outside the quote's bounds"]);
        Assert.Equal(1, refusals["a later attempt of the same request exists (this one failed)"]);
        Assert.Equal(3, (int)node["already_billed"]!); // the failed attempt, the live trade, the duplicate of the lost one

        // The lost trade: billed once, at the exchange's quote (not the 9 and 9 its receipt claims),
        // flagged as coming from the seller's log and as priced differently from the quote.
        await host.FlushAsync();
        using (var c = host.Services.GetRequiredService<SqliteDatabase>().Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT postings FROM ledger WHERE receipt_id = 'req_lost'";
            Assert.Equal("buyer:buyer=-0.00002652|seller:rogue=0.000026|exchange:fees=0.00000052", cmd.ExecuteScalar()); // (10 x 1 + 8 x 2) per million, 2 %
            cmd.CommandText = "SELECT COUNT(*) FROM ledger";
            Assert.Equal(2L, (long)cmd.ExecuteScalar()!);
            cmd.CommandText = "SELECT flags FROM receipts WHERE request_id = 'req_lost'";
            Assert.Equal("reconciled_from_seller_log,price_differs_from_quote,cost_differs_from_quote", (string)cmd.ExecuteScalar()!);
            cmd.CommandText = "SELECT account_id FROM usage WHERE request_id = 'req_lost'";
            Assert.Equal("buyer", (string)cmd.ExecuteScalar()!); // the pseudonym mapped back
        }

        // A second pass bills nothing more; the refusals are counted against the seller.
        var again = JsonNode.Parse(await (await admin.PostAsync("admin/reconcile?settle_seconds=0", null)).Content.ReadAsStringAsync())!;
        Assert.Equal(0, (int)again["posted"]!);
        var status = JsonNode.Parse(await admin.GetStringAsync("admin/providers"))!.AsArray().Single()!["disputes"]!;
        Assert.Equal(6, (long)status["refused_receipts"]!);
        Assert.Null(SqliteLedger.Audit(host.Services.GetRequiredService<SqliteDatabase>(), exchangeKey.PublicKey).Problem);
    }
}
