using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The operator's two scenarios of a budget that came back after a restart, as separate `entrepot`
/// processes on the real PostgreSQL and Redis: a budget the admin set through node a and raised
/// through node b holds after node a is killed with -9 under load and restarted (both nodes serve
/// the buyer within the raised budget, never past it); a budget the file defines is refused to the
/// admin API with 409 naming the file, and the file's value holds on both nodes after node b is
/// killed and restarted.
/// </summary>
public class BudgetOwnershipProcessTests
{
    private const string AdminKey = "ent-owner-admin-key-000000000";
    private const string BuyerKey = "ent-owner-buyer-key-000000000";
    private const string FiledKey = "ent-owner-filed-key-000000000";

    private static HttpClient Client(int port, string key)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }

    private static async Task<HttpResponseMessage> Chat(int port, string key)
    {
        using var http = Client(port, key);
        return await http.PostAsync("v1/chat/completions",
            new StringContent("""{"model":"stories260k","max_tokens":8,"messages":[{"role":"user","content":"Once upon a time"}]}""", Encoding.UTF8, "application/json"));
    }

    /// <summary>What the ledger the nodes share charged an account (its buyer legs, fee included).</summary>
    private static async Task<decimal> Charged(string postgres, string account)
    {
        await using var c = new NpgsqlConnection(postgres);
        await c.OpenAsync();
        await using var q = new NpgsqlCommand("SELECT postings FROM ledger", c);
        await using var rd = await q.ExecuteReaderAsync();
        decimal charged = 0;
        while (await rd.ReadAsync())
        {
            foreach (var leg in rd.GetString(0).Split('|'))
            {
                var at = leg.IndexOf('=', StringComparison.Ordinal);
                if (leg[..at] == "buyer:" + account)
                {
                    charged -= decimal.Parse(leg[(at + 1)..], NumberStyles.Number, CultureInfo.InvariantCulture);
                }
            }
        }

        return charged;
    }

    private static async Task<HashSet<string>> Billed(string postgres)
    {
        await using var c = new NpgsqlConnection(postgres);
        await c.OpenAsync();
        await using var q = new NpgsqlCommand("SELECT receipt_id FROM ledger", c);
        await using var rd = await q.ExecuteReaderAsync();
        var ids = new HashSet<string>();
        while (await rd.ReadAsync())
        {
            ids.Add(rd.GetString(0));
        }

        return ids;
    }

    /// <summary>The limit a 402 names: "The total budget of account:x (2 USD) has 0.11 left ...".</summary>
    private static decimal NamedLimit(string refusal) =>
        decimal.Parse(Regex.Match(refusal, @"budget of account:\S+ \(([0-9.]+) USD\)").Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task AnAdminRaise_SurvivesANodeKilledUnderLoad_AndAFileBudget_RefusesTheApi_OnBothNodes()
    {
        var redis = Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS") ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run ./test.sh.");
        var postgres = TestPostgres.FreshDatabase();
        var root = SharedModel.TempDir("budget-owner");
        var keyDir = Path.Combine(root, "exchange-key");
        var processes = new List<Process>();
        EntrepotCli.LogDirectory = root;
        object trusted;
        using (var key = Core.Trust.SigningKey.LoadOrCreate(keyDir))
        {
            trusted = new { key_id = key.KeyId, public_key = Core.Trust.Receipts.Base64Url(key.PublicKey) };
        }

        try
        {
            // A trade costs about 0.007 (some 28 tokens at 250 per million) and holds about 0.07 while it runs.
            // One seller (the embedded engine behind an exporter that trusts the exchange, so a trade
            // the killed node answered but never recorded is billed from its receipt log).
            var sellerPort = ProcessSetup.FreePort();
            var sellerConfig = ProcessSetup.WriteConfig(Path.Combine(root, "us-1"), "exporter.json", new
            {
                node = new { id = "us-1", jurisdiction = "US", port = sellerPort, price = new { input = 250, output = 250, currency = "USD" } },
                engine = new { kind = "embedded", model_path = SharedModel.Path },
                admission = new { max_concurrency = 8, max_queue = 64 },
                trusted_exchanges = new[] { trusted },
            });
            processes.Add(await EntrepotCli.StartUntilReadyAsync("exporter", "--config", sellerConfig, "--data-dir", Path.Combine(root, "us-1")));

            var prefix = "owner-" + Guid.NewGuid().ToString("N")[..8] + ":";
            string Config(string node, int port) => ProcessSetup.WriteConfig(Path.Combine(root, "exchange-" + node), "exchange.json", new
            {
                exchange = new
                {
                    jurisdiction = "DE", port, default_sort = "price", signing_key_dir = keyDir, admin_key = AdminKey,
                    ledger = new { store = "postgres", connection = postgres },
                    cluster = new { redis, node_id = node, prefix },
                },
                accounts = new object[]
                {
                    new { id = "buyer", keys = new[] { BuyerKey } }, // no budget in the file: the admin API's to set
                    new { id = "filed", keys = new[] { FiledKey }, budget = new { amount = 1.00m, currency = "USD", period = "total" } },
                },
                providers = new[] { new { id = "us-1", kind = "exporter", base_url = $"http://127.0.0.1:{sellerPort}/v1", jurisdiction = "US", models = new[] { "stories260k" }, price = new { input = 250, output = 250 } } },
            });
            int portA = ProcessSetup.FreePort(), portB = ProcessSetup.FreePort();
            string configA = Config("a", portA), configB = Config("b", portB);
            Task<Process> StartNode(string node) => EntrepotCli.StartUntilReadyAsync("exchange", "--config", node == "a" ? configA : configB, "--data-dir", Path.Combine(root, "exchange-" + node));
            var a = await StartNode("a");
            processes.Add(a);
            var b = await StartNode("b");
            processes.Add(b);
            using var adminA = Client(portA, AdminKey);
            using var adminB = Client(portB, AdminKey);

            // The admin sets 1.00 through a, later 2.00 through b.
            Assert.Equal(200, (int)(await adminA.PutAsJsonAsync("admin/accounts/buyer/budget", new { amount = 1.00m, currency = "USD", period = "total" })).StatusCode);
            Assert.Equal(200, (int)(await adminB.PutAsJsonAsync("admin/accounts/buyer/budget", new { amount = 2.00m, currency = "USD", period = "total" })).StatusCode);

            // The file's budget is the file's: raising it through either node is refused, naming that node's file.
            foreach (var (admin, file) in new[] { (adminA, configA), (adminB, configB) })
            {
                var refused = await admin.PutAsJsonAsync("admin/accounts/filed/budget", new { amount = 2.00m, currency = "USD", period = "total" });
                var text = await refused.Content.ReadAsStringAsync();
                Assert.True(409 == (int)refused.StatusCode, text);
                Assert.Contains(file, JsonNode.Parse(text)!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }

            // The buyer spends past the first budget (1.00) through both nodes.
            var answered = new System.Collections.Concurrent.ConcurrentBag<string>();
            async Task<int> Trade(int port, string key)
            {
                var r = await Chat(port, key);
                if (r.IsSuccessStatusCode)
                {
                    answered.Add(r.Headers.GetValues("Entrepot-Request-Id").Single());
                }

                return (int)r.StatusCode;
            }

            for (var i = 0; await Charged(postgres, "buyer") <= 1.05m; i++)
            {
                Assert.True(i < 150, $"still not past 1.05 after {i} rounds: charged {await Charged(postgres, "buyer")}");
                var round = await Task.WhenAll(Enumerable.Range(0, 4).Select(j => Trade(j % 2 == 0 ? portA : portB, BuyerKey)));
                Assert.All(round, s => Assert.Equal(200, s));
                await Task.Delay(50); // the trade writer's next batch
            }

            // Under load from two buyers' streams (one per node), node a is killed without warning.
            var killed = 0;
            var done = 0;
            async Task Stream(int worker)
            {
                for (var i = 0; i < 10; i++)
                {
                    var port = worker == 0 && Volatile.Read(ref killed) == 0 ? portA : portB;
                    int status;
                    try
                    {
                        status = await Trade(port, BuyerKey);
                    }
                    catch (HttpRequestException)
                    {
                        status = await Trade(portB, BuyerKey); // a went down under it: the load balancer sends it to b
                    }

                    Assert.True(status is 200, $"status {status} before the budget could have run out");
                    if (Interlocked.Increment(ref done) == 6)
                    {
                        a.Kill(entireProcessTree: true);
                        Volatile.Write(ref killed, 1);
                    }
                }
            }

            await Task.WhenAll(Stream(0), Stream(1));
            await a.WaitForExitAsync();
            processes.Remove(a);
            processes.Add(await StartNode("a"));
            // The issue's other restart: node b too, killed and started again (the file's budget must hold).
            b.Kill(entireProcessTree: true);
            await b.WaitForExitAsync();
            processes.Remove(b);
            processes.Add(await StartNode("b"));

            // Both nodes serve the buyer, who has spent more than the 1.00 a stale node would put back.
            Assert.True(await Charged(postgres, "buyer") > 1.05m);
            Assert.Equal(200, await Trade(portA, BuyerKey));
            Assert.Equal(200, await Trade(portB, BuyerKey));

            // Spent to the end through both nodes: each refuses naming 2 USD, and the buyer is never charged past it.
            async Task<(string A, string B)> SpendUntilRefused(string key, int bound)
            {
                string? refusedA = null, refusedB = null;
                for (var i = 0; refusedA is null || refusedB is null; i++)
                {
                    Assert.True(i < bound, $"no refusal after {bound} trades");
                    var port = i % 2 == 0 ? portA : portB;
                    var r = await Chat(port, key);
                    if (r.IsSuccessStatusCode)
                    {
                        answered.Add(r.Headers.GetValues("Entrepot-Request-Id").Single());
                        continue;
                    }

                    var text = await r.Content.ReadAsStringAsync();
                    Assert.True(402 == (int)r.StatusCode, text);
                    if (port == portA)
                    {
                        refusedA = text;
                    }
                    else
                    {
                        refusedB = text;
                    }
                }

                return (refusedA, refusedB);
            }

            var (buyerA, buyerB) = await SpendUntilRefused(BuyerKey, 800);
            Assert.Equal(2m, NamedLimit(buyerA));
            Assert.Equal(2m, NamedLimit(buyerB));
            var (filedA, filedB) = await SpendUntilRefused(FiledKey, 800);
            Assert.Equal(1m, NamedLimit(filedA)); // the file's value, not the admin's refused raise
            Assert.Equal(1m, NamedLimit(filedB));

            // Every answered trade is billed (the killed node's too, from the seller's receipts), and nobody past their budget.
            var watch = Stopwatch.StartNew();
            while (!answered.All((await Billed(postgres)).Contains))
            {
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"answered trades not billed: {answered.Except(await Billed(postgres)).Count()}");
                await Task.Delay(200);
            }

            var buyer = await Charged(postgres, "buyer");
            Assert.True(buyer is > 1.05m and <= 2.00m, $"the buyer was charged {buyer} of an admin budget of 2.00");
            var filed = await Charged(postgres, "filed");
            Assert.True(filed is > 0m and <= 1.00m, $"the filed account was charged {filed} of its file budget of 1.00");
            var verify = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", keyDir, "--postgres", postgres);
            Assert.True(verify.Code == 0, verify.Output);
        }
        finally
        {
            foreach (var p in processes)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // already gone
                }
            }
        }
    }
}
