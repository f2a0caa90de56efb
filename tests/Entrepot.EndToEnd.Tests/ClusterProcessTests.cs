using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// Two exchange nodes and two exporter nodes as separate `entrepot` processes on loopback, sharing the
/// real Redis and PostgreSQL the test command starts: load through both exchanges, one killed mid-load
/// (its buyers move to the other, as behind a load balancer), then restarted; then an exporter stopped,
/// which both exchanges must stop using within a second of each other.
/// </summary>
public class ClusterProcessTests
{

    private static string Logs(string root) => string.Join("\n", Directory.GetFiles(root, "exchange-*.log").Select(f => f + ":\n" + File.ReadAllText(f)));

    [Fact]
    public async Task TwoExchangeProcesses_OneKilledMidLoad_BudgetHolds_LedgerKeepsEveryAnsweredTrade_AndVerifies_AndAFailedSellerIsAvoidedByBoth()
    {
        var redis = Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS") ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run ./test.sh.");
        var postgres = TestPostgres.FreshDatabase();
        var name = new NpgsqlConnectionStringBuilder(postgres).Database;
        var root = SharedModel.TempDir("cluster-procs");
        var keyDir = Path.Combine(root, "exchange-key");
        const string buyerKey = "ent-procs-buyer-key-000000000";
        const string freeKey = "ent-procs-free-key-0000000000";
        const decimal limit = 3m; // about 100 trades of ~0.03 (28 tokens at 1,000 per million plus 2%); a hold is ~0.28
        var processes = new List<Process>();
        EntrepotCli.LogDirectory = root;
        // The nodes' one signing key, made first: the exporters trust it (and so serve their receipt
        // logs to the exchange for reconciliation).
        object trusted;
        using (var key = Core.Trust.SigningKey.LoadOrCreate(keyDir))
        {
            trusted = new { key_id = key.KeyId, public_key = Core.Trust.Receipts.Base64Url(key.PublicKey) };
        }

        try
        {
            var sellers = new List<object>();
            foreach (var (id, jurisdiction) in new[] { ("sg-1", "SG"), ("us-1", "US") })
            {
                var port = ProcessSetup.FreePort();
                var config = ProcessSetup.WriteConfig(Path.Combine(root, id), "exporter.json", new
                {
                    node = new { id, jurisdiction, port, price = new { input = 1000, output = 1000, currency = "USD" } },
                    engine = new { kind = "embedded", model_path = SharedModel.Path },
                    admission = new { max_concurrency = 8, max_queue = 64 },
                    trusted_exchanges = new[] { trusted },
                });
                processes.Add(await EntrepotCli.StartUntilReadyAsync("exporter", "--config", config, "--data-dir", Path.Combine(root, id)));
                sellers.Add(new { id, kind = "exporter", base_url = $"http://127.0.0.1:{port}/v1", jurisdiction, models = new[] { "stories260k" }, price = new { input = 1000, output = 1000 } });
            }

            var prefix = "procs-" + Guid.NewGuid().ToString("N")[..8] + ":";
            string ExchangeConfig(string node, int port) => ProcessSetup.WriteConfig(Path.Combine(root, "exchange-" + node), "exchange.json", new
            {
                exchange = new
                {
                    jurisdiction = "DE", port, default_sort = "price", fee_percent = 2, signing_key_dir = keyDir, admin_key = "ent-procs-admin-key-000000000",
                    ledger = new { store = "postgres", connection = postgres },
                    cluster = new { redis, node_id = node, prefix },
                },
                accounts = new object[]
                {
                    new { id = "buyer", keys = new[] { buyerKey }, budget = new { amount = limit, currency = "USD", period = "total" } },
                    new { id = "free", keys = new[] { freeKey } },
                },
                providers = sellers,
            });
            int portA = ProcessSetup.FreePort(), portB = ProcessSetup.FreePort();
            var configA = ExchangeConfig("a", portA);
            var configB = ExchangeConfig("b", portB);
            var a = await EntrepotCli.StartUntilReadyAsync("exchange", "--config", configA, "--data-dir", Path.Combine(root, "exchange-a"));
            processes.Add(a);
            processes.Add(await EntrepotCli.StartUntilReadyAsync("exchange", "--config", configB, "--data-dir", Path.Combine(root, "exchange-b")));

            HttpClient Client(int port)
            {
                var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/"), Timeout = TimeSpan.FromSeconds(60) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", buyerKey);
                return http;
            }

            using var ha = Client(portA);
            using var hb = Client(portB);
            var answered = new System.Collections.Concurrent.ConcurrentBag<string>();
            var byNode = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
            var statuses = new System.Collections.Concurrent.ConcurrentBag<int>();
            var done = 0;
            var killed = 0;
            async Task One(int i)
            {
                var body = """{"model":"stories260k","max_tokens":8,"messages":[{"role":"user","content":"Once upon a time"}]}""";
                HttpResponseMessage r;
                try
                {
                    r = await (i % 2 == 0 && Volatile.Read(ref killed) == 0 ? ha : hb).PostAsync("chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
                }
                catch (HttpRequestException)
                {
                    // Node a went down under this request: the load balancer sends the buyer to b.
                    r = await hb.PostAsync("chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
                }

                statuses.Add((int)r.StatusCode);
                if (r.IsSuccessStatusCode)
                {
                    var id = r.Headers.GetValues("Entrepot-Request-Id").Single();
                    answered.Add(id);
                    byNode[id] = r.RequestMessage!.RequestUri!.Port == portA ? "a" : "b";
                }

                if (Interlocked.Increment(ref done) == 30)
                {
                    a.Kill(entireProcessTree: true); // mid-load, without warning
                    Volatile.Write(ref killed, 1);
                }
            }

            using (var gate = new SemaphoreSlim(8)) // within what the budget can hold at once, so it runs out by spending
            {
                await Task.WhenAll(Enumerable.Range(0, 150).Select(async i =>
                {
                    await gate.WaitAsync();
                    try
                    {
                        await One(i);
                    }
                    finally
                    {
                        gate.Release();
                    }
                }));
            }

            // A kill is asynchronous: under this load the process takes 40-120 ms to end, while the
            // requests left after it (402s once the budget is spent) can all finish sooner.
            Assert.True(a.WaitForExit(TimeSpan.FromSeconds(10)), "node a still running 10 s after it was killed");
            Assert.All(statuses, s => Assert.True(s is 200 or 402, $"status {s}"));
            Assert.Contains(402, statuses); // the budget ran out
            Assert.True(answered.Count >= 10, $"{answered.Count} answered");

            // Node a comes back and bills what it answered but had not billed: from its own trade log, and
            // (for what it answered but was killed before committing) from the exporters' receipt logs.
            processes.Add(await EntrepotCli.StartUntilReadyAsync("exchange", "--config", configA, "--data-dir", Path.Combine(root, "exchange-a")));
            // Nothing asks it to: its own reconciliation at start (retried soon if a seller cannot be read) does it.
            var billed = new HashSet<string>();
            for (var attempt = 0; attempt < 600; attempt++)
            {
                billed.Clear();
                await using var c = new NpgsqlConnection(postgres);
                await c.OpenAsync();
                await using var q = new NpgsqlCommand("SELECT receipt_id FROM ledger", c);
                await using var rd = await q.ExecuteReaderAsync();
                while (await rd.ReadAsync())
                {
                    billed.Add(rd.GetString(0));
                }

                if (answered.All(billed.Contains))
                {
                    break;
                }

                await Task.Delay(200);
            }

            var missing = answered.Where(id => !billed.Contains(id)).ToList();
            var activity = "";
            if (missing.Count > 0)
            {
                await using var c = new NpgsqlConnection(TestPostgres.Server);
                await c.OpenAsync();
                await using var q = new NpgsqlCommand($"SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity WHERE datname = '{name}'", c);
                await using var rd = await q.ExecuteReaderAsync();
                while (await rd.ReadAsync())
                {
                    activity += $"\n  pid {rd.GetValue(0)} {rd.GetValue(1)} {rd.GetValue(2)}/{rd.GetValue(3)}: {rd.GetValue(4)}";
                }
            }

            Assert.True(missing.Count == 0, $"{missing.Count} answered trades not billed: {string.Join(",", missing.Select(id => byNode[id]).GroupBy(n => n).Select(g => g.Key + "x" + g.Count()))} {string.Join(",", missing)} in {root}\npostgres:{activity}\n{Logs(root)}");
            // A trade the seller completed while node a was being killed is billed from the seller's receipt
            // even if its answer never reached the buyer: at most the requests then in flight.
            Assert.InRange(billed.Count - answered.Count, 0, 8);

            // One history, verified as strictly as a single node's; never more spent than the budget.
            var verify = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", keyDir, "--postgres", postgres);
            Assert.True(verify.Code == 0, verify.Output);
            var entries = int.Parse(System.Text.RegularExpressions.Regex.Match(verify.Output, @"VALID: (\d+) entries").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(entries, answered.Count, answered.Count + 8);
            await using (var c = new NpgsqlConnection(postgres))
            {
                await c.OpenAsync();
                await using var q = new NpgsqlCommand("SELECT postings FROM ledger", c);
                await using var rd = await q.ExecuteReaderAsync();
                decimal charged = 0;
                while (await rd.ReadAsync())
                {
                    // Postings are stored as "account=amount|account=amount".
                    foreach (var leg in rd.GetString(0).Split('|'))
                    {
                        var (account, amount) = (leg[..leg.IndexOf('=', StringComparison.Ordinal)], leg[(leg.IndexOf('=', StringComparison.Ordinal) + 1)..]);
                        if (account.StartsWith("buyer:", StringComparison.Ordinal))
                        {
                            charged -= decimal.Parse(amount, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture);
                        }
                    }
                }

                Assert.True(charged > 0 && charged <= limit, $"the buyer was charged {charged} of a {limit} budget");
            }

            // Every answered trade is in the history the nodes share (declarations, trade statistics), the
            // killed node's included, and `report trade --postgres` sums that history.
            await using var history = new NpgsqlConnection(postgres);
            await history.OpenAsync();
            var archived = new HashSet<string>();
            await using (var h = new NpgsqlCommand("SELECT request_id FROM trades", history))
            await using (var rows = await h.ExecuteReaderAsync())
            {
                while (await rows.ReadAsync())
                {
                    archived.Add(rows.GetString(0));
                }
            }

            Assert.All(answered, id => Assert.Contains(id, archived));
            await using var delivered = new NpgsqlCommand("SELECT count(*) FROM trades WHERE outcome IN ('completed', 'interrupted')", history);
            var expected = (long)(await delivered.ExecuteScalarAsync())!;
            var statistics = await EntrepotCli.RunAsync("report", "trade", "--period", "1d", "--format", "json", "--postgres", postgres);
            Assert.True(statistics.Code == 0, statistics.Output);
            var flows = System.Text.Json.Nodes.JsonNode.Parse(statistics.Output)!["flows"]!.AsArray();
            Assert.Equal(expected, flows.Sum(f => (long)f!["trades"]!));

            // Endpoints that read PostgreSQL synchronously answer promptly, call after call: none of them
            // blocks a socket thread on a socket that same thread serves.
            // (A new connection each time: the exchange spreads connections over its socket threads.)
            for (var i = 0; i < 20; i++)
            {
                using var quick = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portA}/v1/"), Timeout = TimeSpan.FromSeconds(10) };
                quick.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", buyerKey);
                Assert.Equal(HttpStatusCode.OK, (await quick.GetAsync(i % 2 == 0 ? "trade/declarations?limit=5" : "trade/flows?period=1d")).StatusCode);
            }

            // The same for an admin call that writes to PostgreSQL after awaiting a body that arrives late
            // (headers first, body 50 ms later), over fresh connections.
            for (var i = 0; i < 8; i++)
            {
                using var tcp = new System.Net.Sockets.TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, portA);
                var stream = tcp.GetStream();
                var json = $$"""{"id":"late-{{i}}","home_jurisdiction":"DE"}""";
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /admin/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ent-procs-admin-key-000000000\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\nConnection: close\r\n\r\n"));
                await stream.FlushAsync();
                await Task.Delay(50);
                await stream.WriteAsync(Encoding.ASCII.GetBytes(json));
                using var reply = new StreamReader(stream);
                var status = await reply.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.StartsWith("HTTP/1.1 20", status);
            }

            // A seller that fails through one node is avoided by the other within a second: with exporter
            // sg-1 stopped, requests preferring it go through node a (each fails over to us-1) until a's
            // circuit to it opens; b's opens from a's announcement.
            processes[0].Kill(entireProcessTree: true);
            await processes[0].WaitForExitAsync();
            HttpClient Admin(int port)
            {
                var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
                http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ent-procs-admin-key-000000000");
                return http;
            }

            using var adminA = Admin(portA);
            using var adminB = Admin(portB);
            async Task<string> Circuit(HttpClient admin) =>
                (string)System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("admin/providers"))!.AsArray().Single(p => (string)p!["id"]! == "sg-1")!["circuit"]!;
            using var free = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{portA}/v1/"), Timeout = TimeSpan.FromSeconds(60) };
            free.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", freeKey);
            var preferSg = """{"model":"stories260k","max_tokens":4,"provider":{"order":["sg-1"]},"messages":[{"role":"user","content":"Once"}]}""";
            DateTime? opened = null;
            for (var i = 0; i < 10 && opened is null; i++)
            {
                var r = await free.PostAsync("chat/completions", new StringContent(preferSg, Encoding.UTF8, "application/json"));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal("us-1", r.Headers.GetValues("Entrepot-Provider").Single());
                opened = await Circuit(adminA) == "open" ? DateTime.UtcNow : null;
            }

            Assert.NotNull(opened);
            while (await Circuit(adminB) != "open" && DateTime.UtcNow - opened < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }

            Assert.Equal("open", await Circuit(adminB));
        }
        finally
        {
            foreach (var p in processes.Where(p => !p.HasExited))
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }
}
