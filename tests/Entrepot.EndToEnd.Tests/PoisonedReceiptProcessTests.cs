using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The reproduction of a hostile seller against a running `entrepot exchange` process: one receipt
/// holding a float (which has no canonical form) used to stop the trade writer for good, so no later
/// trade reached the ledger and the exchange ignored SIGTERM. Now the receipt is flagged, every trade
/// lands, SIGTERM stops the process within its bound, and `entrepot ledger verify` passes.
/// </summary>
public class PoisonedReceiptProcessTests
{
    private const string BuyerKey = "ent-poison-process-buyer-key-01";

    [Fact]
    public async Task AFloatInAReceipt_ThirtyTradesAfterIt_AllReachTheLedger_AndSigtermStopsTheExchange()
    {
        await using var seller = await RogueSeller.StartAsync("rogue-node");
        var dir = SharedModel.TempDir("poison-process");
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        var config = Path.Combine(dir, "exchange.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "exchange": { "jurisdiction": "DE", "host": "127.0.0.1", "port": {{port}} },
              "accounts": [ { "id": "buyer", "home_jurisdiction": "DE", "keys": ["{{BuyerKey}}"] } ],
              "providers": [ { "id": "rogue-node", "kind": "exporter", "base_url": "{{seller.V1.AbsoluteUri}}", "jurisdiction": "DE",
                               "models": ["m"], "price": { "input": 1, "output": 2, "currency": "USD" }, "receipt_public_key": "{{seller.PublicKey}}" } ]
            }
            """);
        var data = Path.Combine(dir, "data");
        var exchange = await EntrepotCli.StartUntilReadyAsync("exchange", "--config", config, "--data-dir", data);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/v1/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", BuyerKey);
            Task<HttpResponseMessage> Chat() => http.PostAsync("chat/completions",
                new StringContent("""{"model":"m","max_tokens":32,"messages":[{"role":"user","content":"Once upon a time"}]}""", Encoding.UTF8, "application/json"));

            seller.Plan = _ => new SellerAnswer { ChangeSigned = d => d["receipt"]!["output_tokens"] = 1.5 };
            Assert.Equal(HttpStatusCode.OK, (await Chat()).StatusCode);
            seller.Plan = _ => new SellerAnswer();
            for (int i = 0; i < 30; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await Chat()).StatusCode);
            }

            // SIGTERM, as a service manager stops it: the process drains and exits within its bound.
            using (var term = Process.Start("kill", ["-TERM", exchange.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            var stopping = Stopwatch.StartNew();
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await exchange.WaitForExitAsync(bound.Token);
            Assert.Equal(0, exchange.ExitCode);
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(15));
        }
        finally
        {
            if (!exchange.HasExited)
            {
                exchange.Kill(entireProcessTree: true);
            }
        }

        var verify = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", data);
        Assert.True(verify.Code == 0, verify.Output);
        Assert.Contains("VALID: 31 entries", verify.Output, StringComparison.Ordinal);
        var db = new Storage.Sqlite.SqliteDatabase(Path.Combine(data, "exchange.db"));
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM receipts WHERE flags LIKE '%seller_receipt_invalid%'";
        Assert.Equal(1L, (long)cmd.ExecuteScalar()!);
    }
}
