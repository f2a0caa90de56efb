using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The exchange killed with SIGKILL under load loses the trades it had not committed; the exporter
/// nodes' receipt logs still hold them. After a restart the reconciler posts each missing receipt,
/// and every receipt the nodes issued is in the ledger exactly once, which verifies. Real processes:
/// two `entrepot exporter` nodes with the embedded engine, and `entrepot exchange`.
/// </summary>
public class ReconciliationTests
{
    private const string BuyerKey = "ent-recon-buyer-key-0123456789";
    private const string AdminKey = "ent-recon-admin-key-0123456789";

    [Fact]
    public async Task ExchangeKilledUnderLoad_RestartsAndReconciles_EveryIssuedReceiptIsBilledExactlyOnce()
    {
        var root = SharedModel.TempDir("reconcile");
        var exchangeDir = Path.Combine(root, "exchange");
        // The exchange's identity exists before its first start, so the nodes can be told to trust it.
        var exchangeKey = SigningKey.LoadOrCreate(exchangeDir);
        int exchangePort = ProcessSetup.FreePort(), portA = ProcessSetup.FreePort(), portB = ProcessSetup.FreePort();
        var nodes = new[] { ("node-a", portA), ("node-b", portB) };
        foreach (var (id, port) in nodes)
        {
            Directory.CreateDirectory(Path.Combine(root, id));
            await File.WriteAllTextAsync(Path.Combine(root, id + ".json"), $$"""
                {
                  "node": { "id": "{{id}}", "jurisdiction": "DE", "city": "Frankfurt", "host": "127.0.0.1", "port": {{port}},
                            "price": { "input": 1.5, "output": 2.5, "currency": "USD" } },
                  "engine": { "kind": "embedded", "model_path": {{JsonSerializer.Serialize(SharedModel.Path)}}, "model_name": "stories260k", "context_size": 256 },
                  "admission": { "max_concurrency": 4, "max_queue": 64 },
                  "trusted_exchanges": [ { "key_id": "{{exchangeKey.KeyId}}", "public_key": "{{Receipts.Base64Url(exchangeKey.PublicKey)}}" } ]
                }
                """);
        }

        var providers = string.Join(",", nodes.Select(n => $$"""
            { "id": "{{n.Item1}}", "kind": "exporter", "base_url": "http://127.0.0.1:{{n.Item2}}/v1", "jurisdiction": "DE", "city": "Frankfurt",
              "models": ["stories260k"], "price": { "input": 1.5, "output": 2.5, "currency": "USD" }, "capacity": 8 }
            """));
        var exchangeConfig = Path.Combine(root, "exchange.json");
        await File.WriteAllTextAsync(exchangeConfig, $$"""
            {
              "exchange": { "jurisdiction": "DE", "city": "Frankfurt", "host": "127.0.0.1", "port": {{exchangePort}}, "admin_key": "{{AdminKey}}" },
              "accounts": [ { "id": "buyer", "home_jurisdiction": "DE", "keys": ["{{BuyerKey}}"] } ],
              "providers": [ {{providers}} ]
            }
            """);

        var running = new List<Process>();
        try
        {
            foreach (var (id, _) in nodes)
            {
                running.Add(await EntrepotCli.StartUntilReadyAsync("exporter", "--config", Path.Combine(root, id + ".json"), "--data-dir", Path.Combine(root, id)));
            }

            var exchange = await EntrepotCli.StartUntilReadyAsync("exchange", "--config", exchangeConfig, "--data-dir", exchangeDir);
            running.Add(exchange);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{exchangePort}/v1/"), Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BuyerKey);

            // Load: 8 buyers in a loop, streaming and not, until the exchange dies under them.
            int ok = 0;
            using var stopLoad = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var load = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (int i = 0; !stopLoad.IsCancellationRequested; i++)
                {
                    var stream = (i + w) % 2 == 0 ? "true" : "false";
                    try
                    {
                        var r = await http.PostAsync("chat/completions", Json.Body($$"""
                            {"model":"stories260k","max_tokens":6,"stream":{{stream}},"messages":[{"role":"user","content":"Once upon a time {{w}}-{{i}}"}]}
                            """), stopLoad.Token);
                        await r.Content.ReadAsStringAsync(stopLoad.Token);
                        if (r.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref ok);
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
                    {
                        // The exchange was killed under this request.
                        await Task.Delay(20);
                    }
                }
            })).ToArray();

            while (Volatile.Read(ref ok) < 150 && !stopLoad.IsCancellationRequested)
            {
                await Task.Delay(10);
            }

            Assert.True(Volatile.Read(ref ok) >= 150, $"only {ok} requests succeeded before the kill");
            exchange.Kill();
            await exchange.WaitForExitAsync();
            await stopLoad.CancelAsync();
            await Task.WhenAll(load);

            // Requests the killed exchange had in flight may still finish at the nodes (and be
            // receipted): read the logs once the nodes are idle.
            using (var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
            {
                var idleBy = DateTime.UtcNow.AddSeconds(30);
                foreach (var (_, port) in nodes)
                {
                    while (true)
                    {
                        using var health = JsonDocument.Parse(await probe.GetStringAsync($"http://127.0.0.1:{port}/healthz"));
                        if (health.RootElement.GetProperty("in_flight").GetInt32() + health.RootElement.GetProperty("queued").GetInt32() == 0)
                        {
                            break;
                        }

                        Assert.True(DateTime.UtcNow < idleBy, "a node stayed busy after the exchange was killed");
                        await Task.Delay(50);
                    }
                }
            }

            var issued = new List<string>();
            foreach (var (id, _) in nodes)
            {
                var log = new SqliteIssuedReceiptLog(SqliteDatabase.ForExporter(Path.Combine(root, id, "receipts.db")));
                issued.AddRange(log.Since(0, 100_000).Select(r => r.RequestId));
                await log.DisposeAsync();
            }

            Assert.True(issued.Count >= 150);
            Assert.Equal(issued.Count, issued.Distinct().Count());
            var billedBefore = LedgerReceiptIds(exchangeDir);
            var missing = issued.Except(billedBefore).Count();

            // Restart: the reconciler runs at start; a second pass through the admin API waits for it
            // and must find nothing more to post.
            running.Add(await EntrepotCli.StartUntilReadyAsync("exchange", "--config", exchangeConfig, "--data-dir", exchangeDir));
            using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{exchangePort}/") };
            admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            var second = await admin.PostAsync("admin/reconcile?settle_seconds=0", null);
            Assert.Equal(200, (int)second.StatusCode);
            using var report = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
            Assert.Equal(0, report.RootElement.GetProperty("posted").GetInt32());
            Assert.Equal(0, report.RootElement.GetProperty("rejected").GetInt32());
            foreach (var node in report.RootElement.GetProperty("nodes").EnumerateArray())
            {
                Assert.False(node.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null, node.ToString());
            }

            var billed = LedgerReceiptIds(exchangeDir);
            Assert.Equal(billed.Count, billed.Distinct().Count());
            Assert.Empty(issued.Except(billed));
            Assert.Equal(issued.Count, billed.Count(issued.Contains));
            Assert.Equal(missing, ReconciledRows(exchangeDir));
            Assert.True(missing > 0, $"the kill left no receipt to reconcile ({issued.Count} issued, all billed); the test proved nothing");

            // The reconciled receipts are countersigned, say so, and the ledger verifies.
            var verify = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", exchangeDir);
            Assert.True(verify.Code == 0, verify.Output);
            using var buyer = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{exchangePort}/v1/") };
            buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BuyerKey);
            if (issued.Except(billedBefore).FirstOrDefault() is { } recovered)
            {
                var doc = System.Text.Json.Nodes.JsonNode.Parse(await buyer.GetStringAsync($"receipts/{recovered}"))!.AsObject();
                Assert.Null(Receipts.Verify(doc));
                Assert.Contains("reconciled_from_seller_log", doc["check"]!["flags"]!.AsArray().Select(f => (string?)f));
            }
        }
        finally
        {
            foreach (var p in running.Where(p => !p.HasExited))
            {
                p.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task ReceiptLog_IsServedOnlyToATrustedExchange()
    {
        var root = SharedModel.TempDir("receipt-log");
        var trusted = SigningKey.LoadOrCreate(Path.Combine(root, "exchange"));
        var other = SigningKey.LoadOrCreate(Path.Combine(root, "other"));
        int port = ProcessSetup.FreePort();
        var config = Path.Combine(root, "node.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "node": { "id": "n1", "jurisdiction": "DE", "host": "127.0.0.1", "port": {{port}} },
              "engine": { "kind": "embedded", "model_path": {{JsonSerializer.Serialize(SharedModel.Path)}}, "model_name": "stories260k", "context_size": 256 },
              "trusted_exchanges": [ { "key_id": "{{trusted.KeyId}}", "public_key": "{{Receipts.Base64Url(trusted.PublicKey)}}" } ]
            }
            """);
        using var node = await EntrepotCli.StartUntilReadyAsync("exporter", "--config", config, "--data-dir", Path.Combine(root, "node"));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            async Task<HttpResponseMessage> Get(string target, SigningKey? key)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, target.TrimStart('/'));
                if (key is not null)
                {
                    request.Sign(key, "n1", [], "recon-" + Guid.NewGuid().ToString("N"));
                }

                return await http.SendAsync(request);
            }

            await (await Get("/v1/receipts?since=0", null)).AssertOpenAIErrorAsync(401);
            await (await Get("/v1/receipts?since=0", other)).AssertOpenAIErrorAsync(401);

            // Signed for another query: the signature covers path and query.
            var signed = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?since=0").Sign(trusted, "n1", [], "recon-moved");
            var moved = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?since=5");
            foreach (var h in signed.Headers)
            {
                moved.Headers.Add(h.Key, h.Value);
            }

            await (await http.SendAsync(moved)).AssertOpenAIErrorAsync(401);

            // Signed for another node: refused. Played a second time: refused.
            await (await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "v1/receipts?since=0").Sign(trusted, "n2", [], "recon-elsewhere"))).AssertOpenAIErrorAsync(401);
            var once = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?since=0").Sign(trusted, "n1", [], "recon-once");
            var again = new HttpRequestMessage(HttpMethod.Get, "v1/receipts?since=0");
            foreach (var h in once.Headers)
            {
                again.Headers.Add(h.Key, h.Value);
            }

            Assert.Equal(200, (int)(await http.SendAsync(once)).StatusCode);
            var replayed = await (await http.SendAsync(again)).AssertOpenAIErrorAsync(401);
            Assert.Equal("replayed_request", replayed.GetProperty("code").GetString());

            var bad = await (await Get("/v1/receipts?since=abc", trusted)).AssertOpenAIErrorAsync(400);
            Assert.Equal("since", bad.GetProperty("param").GetString());

            var good = await Get("/v1/receipts?since=0&limit=10", trusted);
            Assert.Equal(200, (int)good.StatusCode);
            using var page = JsonDocument.Parse(await good.Content.ReadAsStringAsync());
            Assert.Equal(0, page.RootElement.GetProperty("data").GetArrayLength());
            Assert.False(page.RootElement.GetProperty("has_more").GetBoolean());
        }
        finally
        {
            node.Kill(entireProcessTree: true);
        }
    }

    private static List<string> LedgerReceiptIds(string exchangeDir)
    {
        var db = new SqliteDatabase(Path.Combine(exchangeDir, "exchange.db"));
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT receipt_id FROM ledger";
        using var r = cmd.ExecuteReader();
        var ids = new List<string>();
        while (r.Read())
        {
            ids.Add(r.GetString(0));
        }

        return ids;
    }

    private static long ReconciledRows(string exchangeDir)
    {
        var db = new SqliteDatabase(Path.Combine(exchangeDir, "exchange.db"));
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM usage WHERE outcome = 'reconciled'";
        return (long)cmd.ExecuteScalar()!;
    }
}
