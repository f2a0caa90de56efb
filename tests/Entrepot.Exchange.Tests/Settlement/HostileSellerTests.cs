using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Ledger;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>
/// A seller holding the key the exchange pins, misbehaving on purpose (<see cref="RogueSeller"/>):
/// receipts that cannot be read never stop the trade log, and nothing the seller says in its answer or
/// its receipt ever becomes money: the ledger bills the exchange's quote times the tokens it settles
/// on, every difference is a flag counted against the seller, and budgets agree with the ledger.
/// </summary>
public sealed class HostileSellerTests
{
    private const string Key = "ent-hostile-seller-buyer-key-01";
    private const string AdminKey = "ent-hostile-seller-admin-key-01";

    private static async Task<ExchangeHost> StartAsync(RogueSeller seller, string dir, decimal budget = 1000m)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, FeePercent = 2, AdminKey = AdminKey, Jurisdiction = "DE" },
            Accounts = [new AccountSpec { Id = "buyer", HomeJurisdiction = "DE", Keys = [Key], Budget = new BudgetSpec { Amount = budget, Currency = "USD", Period = "total" } }],
            Providers =
            [
                new ProviderSpec
                {
                    Id = seller.Id, Kind = "exporter", BaseUrl = seller.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"],
                    Price = new PriceSpec { Input = seller.InputPrice, Output = seller.OutputPrice }, ReceiptPublicKey = seller.PublicKey,
                },
            ],
        };
        var host = ExchangeHost.Create(config, dir);
        await host.StartAsync();
        return host;
    }

    private static HttpClient Client(ExchangeHost host, string key = Key) => host.Client(key, TimeSpan.FromSeconds(60));

    private static Task<HttpResponseMessage> Chat(HttpClient http, bool stream = false, string content = "Tell me a story about a lighthouse keeper.") =>
        http.PostAsync("v1/chat/completions", new StringContent(
            $$"""{"model":"m","max_tokens":64,"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"{{content}}"}]}""",
            Encoding.UTF8, "application/json"));

    private static async Task<JsonObject> ReceiptOf(ExchangeHost host, HttpClient http, HttpResponseMessage r)
    {
        await host.FlushAsync();
        var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
        var got = await http.GetAsync("v1/receipts/" + id);
        Assert.Equal(200, (int)got.StatusCode);
        return JsonNode.Parse(await got.Content.ReadAsStringAsync())!.AsObject();
    }

    private static List<string> Flags(JsonObject receipt) => receipt["check"]!["flags"]!.AsArray().Select(f => (string)f!).ToList();

    /// <summary>What the ledger billed a request: the buyer's debit and the seller's credit.</summary>
    private static (decimal Debit, decimal Credit) Billed(ExchangeHost host, string requestId)
    {
        using var c = host.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT postings FROM ledger WHERE receipt_id = $r";
        cmd.Parameters.AddWithValue("$r", requestId);
        var postings = Storage.LedgerRows.ParsePostings((string)cmd.ExecuteScalar()!);
        return (-postings.Single(p => p.Account.StartsWith("buyer:", StringComparison.Ordinal)).Amount,
            postings.Single(p => p.Account.StartsWith("seller:", StringComparison.Ordinal)).Amount);
    }

    /// <summary>The budget's spending equals the sum of the buyer's ledger debits, to the unit.</summary>
    private static void BudgetAgreesWithLedger(ExchangeHost host)
    {
        using var c = host.Services.GetRequiredService<SqliteDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT postings FROM ledger";
        using var r = cmd.ExecuteReader();
        decimal debits = 0;
        while (r.Read())
        {
            debits -= Storage.LedgerRows.ParsePostings(r.GetString(0)).Where(p => p.Account == "buyer:buyer").Sum(p => p.Amount);
        }

        var (spent, held, _) = host.Services.GetRequiredService<Core.Budgets.IBudgetBook>().Status("account:buyer")!.Value;
        Assert.Equal(0m, held);
        Assert.Equal(debits, spent);
    }

    [Fact]
    public async Task PoisonedReceipts_AreFlaggedAndBilledOnTheExchangesCount_ThenAThousandHonestTradesAllLand_AndTheLedgerVerifies()
    {
        await using var seller = await RogueSeller.StartAsync();
        var dir = Directory.CreateTempSubdirectory("entrepot-poison-").FullName;
        await using var host = await StartAsync(seller, dir);
        using var http = Client(host);

        var poisons = new (string Name, bool Stream, SellerAnswer Answer)[]
        {
            ("float-tokens", false, new SellerAnswer { ChangeSigned = d => d["receipt"]!["input_tokens"] = 1.5 }),
            ("float-cost-stream", true, new SellerAnswer { ChangeSigned = d => d["receipt"]!["cost"] = 1.5 }),
            ("number-key-id", false, new SellerAnswer { ChangeSigned = d => d["seller"]!["key_id"] = 12345 }),
            ("exponent-cost", true, new SellerAnswer { ChangeBody = b => b["cost"] = "1e5" }),
            ("ten-megabytes", true, new SellerAnswer { RawReceipt = "{\"receipt\":{\"pad\":\"" + new string('x', 10 * 1024 * 1024) + "\"}}" }),
            ("not-json", true, new SellerAnswer { RawReceipt = "{\"receipt\": [1, 2" }),
            ("deep", false, new SellerAnswer { RawReceipt = string.Concat(Enumerable.Repeat("[", 5000)) }),
        };
        var ids = new List<string>();
        foreach (var (name, stream, answer) in poisons)
        {
            seller.Plan = _ => answer;
            var r = await Chat(http, stream);
            Assert.True(r.IsSuccessStatusCode, name + ": " + await r.Content.ReadAsStringAsync());
            var text = await r.Content.ReadAsStringAsync();
            Assert.DoesNotContain("entrepot.receipt", text, StringComparison.Ordinal);
            var receipt = await ReceiptOf(host, http, r);
            Assert.Null(Receipts.Verify(receipt));
            Assert.Contains("seller_receipt_invalid", Flags(receipt));
            Assert.Equal("exchange-only", (string?)receipt["receipt"]!["kind"]);
            Assert.NotNull((string?)receipt["check"]!["seller_receipt_sha256"]);

            // Billed once, on the exchange's own count at its quote (1 and 2 per million), fee 2 %.
            var settled = receipt["check"]!["settled"]!;
            var cost = Receipts.Cost((long)settled["input_tokens"]!, (long)settled["output_tokens"]!, 1m, 2m);
            Assert.Equal((string?)settled["cost"], cost.ToString("0.##########", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal((LedgerEntry.BuyerDebit(cost, 2m), cost), Billed(host, r.Headers.GetValues("Entrepot-Request-Id").Single()));
            ids.Add(r.Headers.GetValues("Entrepot-Request-Id").Single());
        }

        // Then a thousand honest trades, eight at a time, streamed and not: every one lands in the ledger.
        seller.Plan = _ => new SellerAnswer();
        var honest = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1000), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var r = await Chat(http, stream: i % 2 == 0);
            Assert.True(r.IsSuccessStatusCode);
            await r.Content.ReadAsStringAsync(ct);
            honest.Add(r.Headers.GetValues("Entrepot-Request-Id").Single());
        });

        await host.FlushAsync();
        var db = host.Services.GetRequiredService<SqliteDatabase>();
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT COUNT(*), COUNT(DISTINCT receipt_id) FROM ledger";
            using var rd = cmd.ExecuteReader();
            rd.Read();
            Assert.Equal(1000 + poisons.Length, rd.GetInt64(0));
            Assert.Equal(1000 + poisons.Length, rd.GetInt64(1));
            rd.Close();
            cmd.CommandText = "SELECT COUNT(*) FROM receipts WHERE verified = 1 AND flags = ''";
            Assert.Equal(1000L, (long)cmd.ExecuteScalar()!);
        }

        Assert.Equal(0, host.Services.GetRequiredService<SqliteDeadLetters>().Count());
        BudgetAgreesWithLedger(host);
        var report = SqliteLedger.Audit(db, SigningKey.LoadOrCreate(dir).PublicKey);
        Assert.Null(report.Problem);
        Assert.Equal(1000 + poisons.Length, report.Entries);

        // The seller's record: every poisoned receipt is a dispute, no honest one is.
        using var admin = Client(host, AdminKey);
        var status = JsonNode.Parse(await admin.GetStringAsync("admin/providers"))!.AsArray().Single()!["disputes"]!;
        Assert.Equal(1000 + poisons.Length, (long)status["trades"]!);
        Assert.Equal(poisons.Length, (long)status["disputed"]!);
        Assert.Equal(poisons.Length, (long)status["flags"]!["seller_receipt_invalid"]!);
    }

    [Fact]
    public async Task WhatTheSellerSays_IsAFlagNeverMoney_EveryFlagIsEarned_AndTheDisputeRateIsCounted()
    {
        await using var seller = await RogueSeller.StartAsync();
        using var impostor = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-impostor-").FullName);
        var dir = Directory.CreateTempSubdirectory("entrepot-bill-").FullName;
        await using var host = await StartAsync(seller, dir);
        using var http = Client(host);

        // Each lie, and the flag it must earn; the bill is always the exchange's figure.
        var lies = new (string Flag, bool Stream, Func<SellerCall, SellerAnswer> Answer)[]
        {
            ("cost_differs_from_quote", false, _ => new SellerAnswer { ChangeBody = b => b["cost"] = "99" }),
            ("price_differs_from_quote", true, _ => new SellerAnswer { ChangeBody = b => b["price"]!["output"] = "50" }),
            ("receipt_tokens_differ_from_response_usage", false, _ => new SellerAnswer { ReceiptOutputTokens = 60 }),
            ("input_tokens_beyond_tolerance", false, c => new SellerAnswer { InputTokens = (c.PromptTokens * 3) + 20 }),
            ("output_tokens_beyond_tolerance", true, _ => new SellerAnswer { OutputTokens = 63 }),
            ("input_tokens_absurd", false, _ => new SellerAnswer { InputTokens = -5 }),
            ("output_tokens_absurd", true, _ => new SellerAnswer { OutputTokens = 1_000_000 }),
            ("seller_key_not_pinned_key", false, _ => new SellerAnswer { SignWith = impostor }),
            ("seller_signature_invalid", true, _ => new SellerAnswer { ChangeSigned = d => d["receipt"]!["output_tokens"] = 40 }),
            ("seller_receipt_missing", false, _ => new SellerAnswer { NoReceipt = true }),
            ("seller_receipt_invalid", true, _ => new SellerAnswer { RawReceipt = "nonsense" }),
            ("request_id_mismatch", false, _ => new SellerAnswer { ChangeBody = b => b["request_id"] = "req_someone_else" }),
            ("attempt_mismatch", true, _ => new SellerAnswer { ChangeBody = b => b["attempt"] = 7 }),
            ("buyer_mismatch", false, _ => new SellerAnswer { ChangeBody = b => b["buyer"] = "another-buyer" }),
            ("seller_mismatch", true, _ => new SellerAnswer { ChangeBody = b => b["seller"] = "a-competitor" }),
            ("model_mismatch", false, _ => new SellerAnswer { ChangeBody = b => b["model"] = "gpt-5" }),
            ("request_hash_mismatch", true, _ => new SellerAnswer { ChangeBody = b => b["request_sha256"] = new string('0', 64) }),
            ("response_hash_mismatch", false, _ => new SellerAnswer { ChangeBody = b => b["response_sha256"] = new string('0', 64) }),
        };

        var earned = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (flag, stream, answer) in lies)
        {
            seller.Plan = answer;
            var r = await Chat(http, stream);
            Assert.True(r.IsSuccessStatusCode, flag + ": " + await r.Content.ReadAsStringAsync());
            await r.Content.ReadAsStringAsync();
            var receipt = await ReceiptOf(host, http, r);
            Assert.Null(Receipts.Verify(receipt));
            var flags = Flags(receipt);
            Assert.Contains(flag, flags);
            earned.UnionWith(flags);

            // The bill: the quote (1 and 2 per million) times the settled tokens, which are the exchange's
            // own count whenever the seller's is beyond tolerance, absurd or unverifiable.
            var settled = receipt["check"]!["settled"]!;
            long input = (long)settled["input_tokens"]!, output = (long)settled["output_tokens"]!;
            var counted = ((long)receipt["check"]!["input_tokens_counted"]!, (long)receipt["check"]!["output_tokens_counted"]!);
            if (flag is "input_tokens_beyond_tolerance" or "input_tokens_absurd" or "output_tokens_beyond_tolerance" or "output_tokens_absurd")
            {
                Assert.Equal(counted, (input, output));
            }

            Assert.InRange(output, 0, 64);
            var cost = Receipts.Cost(input, output, 1m, 2m);
            Assert.Equal((LedgerEntry.BuyerDebit(cost, 2m), cost), Billed(host, r.Headers.GetValues("Entrepot-Request-Id").Single()));
        }

        // Every flag the check can raise was earned here, but the one reconciliation earns (ReconciliationTests).
        Assert.Equal(ReceiptCheck.AllFlags.Where(f => f != ReceiptCheck.Reconciled).Order(), earned.Order());

        // An honest trade after all that: no flag, the seller's own signed receipt, its own numbers billed.
        seller.Plan = _ => new SellerAnswer();
        var ok = await Chat(http);
        var clean = await ReceiptOf(host, http, ok);
        Assert.Empty(Flags(clean));
        Assert.True((bool)clean["check"]!["seller_signature_verified"]!);

        using var admin = Client(host, AdminKey);
        var disputes = JsonNode.Parse(await admin.GetStringAsync("admin/providers"))!.AsArray().Single()!["disputes"]!;
        Assert.Equal(lies.Length + 1, (long)disputes["trades"]!);
        Assert.Equal(lies.Length, (long)disputes["disputed"]!);
        Assert.Equal(Math.Round((double)lies.Length / (lies.Length + 1), 4), (double)disputes["rate"]!);
        foreach (var (flag, _, _) in lies)
        {
            Assert.True((long)disputes["flags"]![flag]! >= 1, flag);
        }

        var metrics = await new HttpClient().GetStringAsync(new Uri(host.BaseUrl, "metrics"));
        Assert.Contains("entrepot_exchange_settled_trades", metrics, StringComparison.Ordinal);
        Assert.Contains("flag=\"seller_key_not_pinned_key\"", metrics, StringComparison.Ordinal);
        BudgetAgreesWithLedger(host);
    }
}
