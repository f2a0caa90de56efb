using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>Signed receipts through the demo: the exporter node signs, the exchange checks and
/// countersigns, the buyer fetches its own receipt and verifies it offline.</summary>
public class ReceiptTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private async Task<JsonObject> ReceiptOf(HttpResponseMessage r)
    {
        var id = r.Header("Entrepot-Request-Id");
        await demo.Market.Exchange.FlushAsync();
        var got = await demo.Http.GetAsync($"receipts/{id}");
        Assert.Equal(200, (int)got.StatusCode);
        return JsonNode.Parse(await got.Content.ReadAsStringAsync())!.AsObject();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryResponse_HasASellerSignedExchangeCountersignedReceipt(bool stream)
    {
        var r = await demo.Http.PostChatAsync($$"""
            {"model":"{{demo.Market.ModelName}}","max_tokens":12,"stream":{{(stream ? "true" : "false")}},"provider":{"only":["us-ashburn"]},
             "messages":[{"role":"user","content":"Once upon a time"}]}
            """);
        Assert.Equal(200, (int)r.StatusCode);
        var text = await r.Content.ReadAsStringAsync();
        Assert.DoesNotContain("entrepot.receipt", text, StringComparison.Ordinal);

        var doc = await ReceiptOf(r);
        Assert.Null(Receipts.Verify(doc));
        var receipt = doc["receipt"]!;
        Assert.Equal("exporter", (string?)receipt["kind"]);
        Assert.Equal("us-ashburn", (string?)receipt["seller"]);
        // The seller knows the buyer only by its pseudonym for this seller, never the account id.
        Assert.StartsWith("buyer_", (string?)receipt["buyer"], StringComparison.Ordinal);
        Assert.DoesNotContain("demo-buyer", doc.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(12L, (long)receipt["output_tokens"]!);
        Assert.Equal("0.15", (string?)receipt["price"]!["input"]);
        var check = doc["check"]!;
        Assert.True((bool)check["seller_signature_verified"]!);
        var flags = check["flags"]!.AsArray().Select(f => (string?)f).ToList();
        Assert.DoesNotContain("request_hash_mismatch", flags);
        Assert.DoesNotContain("response_hash_mismatch", flags);
        Assert.DoesNotContain("receipt_tokens_differ_from_response_usage", flags);

        // The published keys are the ones that signed.
        using var nodeClient = demo.NodeClient(demo.Market.Nodes["us-ashburn"].BaseUrl);
        Assert.Equal("https", demo.Market.Nodes["us-ashburn"].BaseUrl.Scheme);
        using var keys = JsonDocument.Parse(await nodeClient.GetStringAsync(".well-known/entrepot/keys"));
        Assert.Equal((string?)doc["seller"]!["key_id"], keys.RootElement.GetProperty("keys")[0].GetProperty("kid").GetString());
        using var exchangeKeys = JsonDocument.Parse(await new HttpClient().GetStringAsync(new Uri(demo.Market.Exchange.BaseUrl, ".well-known/entrepot/keys")));
        Assert.Equal((string?)doc["exchange"]!["key_id"], exchangeKeys.RootElement.GetProperty("keys")[0].GetProperty("kid").GetString());
    }

    [Fact]
    public async Task ReceiptVerify_Cli_AcceptsTheReceipt_RejectsATamperedOne_OthersCannotFetchIt()
    {
        var r = await demo.Http.PostChatAsync($$"""{"model":"{{demo.Market.ModelName}}","max_tokens":5,"messages":[{"role":"user","content":"Once"}]}""");
        var doc = await ReceiptOf(r);
        var dir = SharedModel.TempDir("receipt");
        var good = Path.Combine(dir, "good.json");
        await File.WriteAllTextAsync(good, doc.ToJsonString());
        doc["receipt"]!["output_tokens"] = 500;
        var bad = Path.Combine(dir, "bad.json");
        await File.WriteAllTextAsync(bad, doc.ToJsonString());

        var exchangePublic = (string)doc["exchange"]!["public_key"]!;
        Assert.Equal(0, (await EntrepotCli.RunAsync("receipt", "verify", good, "--exchange-key", exchangePublic, "--seller-key", (string)doc["seller"]!["public_key"]!)).Code);
        Assert.Equal(1, (await EntrepotCli.RunAsync("receipt", "verify", bad)).Code);

        // A pin compares whole keys: another key is refused, and a key id (a hash prefix) is not accepted as a pin.
        using var otherKey = SigningKey.LoadOrCreate(SharedModel.TempDir("other-key"));
        var wrong = await EntrepotCli.RunAsync("receipt", "verify", good, "--exchange-key", Receipts.Base64Url(otherKey.PublicKey));
        Assert.Equal(1, wrong.Code);
        Assert.Contains("not the trusted", wrong.Output, StringComparison.Ordinal);
        var byId = await EntrepotCli.RunAsync("receipt", "verify", good, "--exchange-key", (string)doc["exchange"]!["key_id"]!);
        Assert.Equal(64, byId.Code);
        Assert.Contains("whole", byId.Output, StringComparison.Ordinal);

        // Another buyer cannot read it.
        using var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", demo.Market.AdminKey);
        await admin.PostAsync("admin/accounts", Json.Body("""{"id":"other-buyer","home_jurisdiction":"DE"}"""));
        var key = (await (await admin.PostAsync("admin/accounts/other-buyer/keys", null)).ReadJsonAsync()).GetProperty("key").GetString();
        using var other = new HttpClient { BaseAddress = demo.V1 };
        other.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Equal(404, (int)(await other.GetAsync($"receipts/{r.Header("Entrepot-Request-Id")}")).StatusCode);
    }

    [Fact]
    public async Task EveryReceiptIsBilledOnce_InALedgerThatVerifies()
    {
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(200, (int)(await demo.Http.PostChatAsync($$"""{"model":"{{demo.Market.ModelName}}","max_tokens":3,"messages":[{"role":"user","content":"Once"}]}""")).StatusCode);
        }

        await demo.Market.Exchange.FlushAsync();
        var dir = demo.Market.Exchange.Settings.DataDir;
        var db = new Storage.Sqlite.SqliteDatabase(Path.Combine(dir, "exchange.db"));
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT (SELECT COUNT(*) FROM receipts), (SELECT COUNT(*) FROM ledger), (SELECT COUNT(*) FROM receipts r WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.receipt_id = r.request_id))";
            using var r = cmd.ExecuteReader();
            Assert.True(r.Read());
            Assert.True(r.GetInt64(0) >= 5);
            Assert.Equal(r.GetInt64(0), r.GetInt64(1));
            Assert.Equal(0, r.GetInt64(2));
        }

        Assert.Equal(0, (await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir)).Code);
    }

    [Fact]
    public async Task Invoice_JsonAndCsv_TotalsMatchTheLedgerExactly()
    {
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(200, (int)(await demo.Http.PostChatAsync($$"""{"model":"{{demo.Market.ModelName}}","max_tokens":{{3 + i}},"messages":[{"role":"user","content":"Once"}]}""")).StatusCode);
        }

        await demo.Market.Exchange.FlushAsync();
        var dir = demo.Market.Exchange.Settings.DataDir;
        var period = DateTime.UtcNow.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Core.Ledger.Invoice.TryParsePeriod(period, out var from, out var to));

        // The ledger's own figure: every entry of the month, the buyer's postings negated, per currency.
        var expected = new Dictionary<string, (int Trades, decimal Total)>();
        var db = new Storage.Sqlite.SqliteDatabase(Path.Combine(dir, "exchange.db"));
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "SELECT ts, currency, postings FROM ledger";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var ts = DateTimeOffset.Parse(r.GetString(0), System.Globalization.CultureInfo.InvariantCulture);
                var debit = Storage.LedgerRows.ParsePostings(r.GetString(2)).Where(p => p.Account == "buyer:demo-buyer").Sum(p => -p.Amount);
                if (ts >= from && ts < to && debit != 0)
                {
                    var (n, t) = expected.GetValueOrDefault(r.GetString(1));
                    expected[r.GetString(1)] = (n + 1, t + debit);
                }
            }
        }

        Assert.NotEmpty(expected);
        var json = await EntrepotCli.RunAsync("report", "invoice", "--account", "demo-buyer", "--period", period, "--data-dir", dir);
        Assert.Equal(0, json.Code);
        using var invoice = JsonDocument.Parse(json.Output);
        var totals = invoice.RootElement.GetProperty("totals").EnumerateArray().ToDictionary(t => t.GetProperty("currency").GetString()!);
        Assert.Equal(expected.Keys.Order(), totals.Keys.Order());
        foreach (var (currency, (trades, total)) in expected)
        {
            Assert.Equal(trades, totals[currency].GetProperty("trades").GetInt32());
            Assert.Equal(total, decimal.Parse(totals[currency].GetProperty("total").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
            var net = decimal.Parse(totals[currency].GetProperty("net").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            var fees = decimal.Parse(totals[currency].GetProperty("fees").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(total, net + fees);
        }

        Assert.Equal(expected.Values.Sum(v => v.Trades), invoice.RootElement.GetProperty("lines").GetArrayLength());

        var csv = await EntrepotCli.RunAsync("report", "invoice", "--account", "demo-buyer", "--period", period, "--data-dir", dir, "--format", "csv");
        Assert.Equal(0, csv.Code);
        var rows = csv.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(',')).ToList();
        foreach (var (currency, (trades, total)) in expected)
        {
            var lines = rows.Where(r => r[0] != "TOTAL" && r[7] == currency).ToList();
            Assert.Equal(trades, lines.Count);
            Assert.Equal(total, lines.Sum(r => decimal.Parse(r[10], System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(total, decimal.Parse(rows.Single(r => r[0] == "TOTAL" && r[7] == currency)[10], System.Globalization.CultureInfo.InvariantCulture));
        }

        var bad = await EntrepotCli.RunAsync("report", "invoice", "--account", "demo-buyer", "--period", "2026-13", "--data-dir", dir);
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("YYYY-MM", bad.Output, StringComparison.Ordinal);
        var unknown = await EntrepotCli.RunAsync("report", "invoice", "--account", "nobody", "--period", period, "--data-dir", dir);
        Assert.NotEqual(0, unknown.Code);
        Assert.Contains("nobody", unknown.Output, StringComparison.Ordinal);
    }

}

/// <summary>An exporter node serves only the exchanges it trusts.</summary>
public class ExchangeIdentityTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Fact]
    public async Task NodeRefusesRequestsNotSignedByItsExchange()
    {
        var node = demo.Market.Nodes["de-frankfurt"];
        var before = node.Received;
        using var direct = demo.NodeClient(node.BaseUrl);
        var json = $$"""{"model":"{{demo.Market.ModelName}}","max_tokens":2,"messages":[{"role":"user","content":"Once"}]}""";

        // Unsigned.
        var unsigned = await direct.PostAsync("v1/chat/completions", Json.Body(json));
        var error = await unsigned.AssertOpenAIErrorAsync(401);
        Assert.Equal("untrusted_exchange", error.GetProperty("code").GetString());

        // Signed by another key (an impostor exchange).
        using var impostor = SigningKey.LoadOrCreate(SharedModel.TempDir("impostor"));
        var forged = Signed(impostor, json, json);
        Assert.Equal(401, (int)(await direct.SendAsync(forged)).StatusCode);

        // Signed by the real exchange but for another body (tampered in transit).
        using var real = SigningKey.LoadOrCreate(demo.Market.Exchange.Settings.DataDir);
        Assert.Equal(401, (int)(await direct.SendAsync(Signed(real, json.Replace("Once", "Twice", StringComparison.Ordinal), json))).StatusCode);

        // Signed by the real exchange, but for another node: a request captured there cannot be played here.
        Assert.Equal(401, (int)(await direct.SendAsync(Signed(real, json, json, node: "sg-singapore"))).StatusCode);

        // A header changed after signing (here, the buyer's country to pass screening): refused.
        var changed = Signed(real, json, json);
        changed.Headers.Remove("Entrepot-Buyer-Jurisdiction");
        changed.Headers.Add("Entrepot-Buyer-Jurisdiction", "SG");
        Assert.Equal(401, (int)(await direct.SendAsync(changed)).StatusCode);

        // Too old, too new, or a timestamp no clock has: 401, never a 500.
        foreach (var at in new[] { DateTimeOffset.UtcNow.AddMinutes(-6), DateTimeOffset.UtcNow.AddMinutes(6) })
        {
            var stale = await (await direct.SendAsync(Signed(real, json, json, at: at))).AssertOpenAIErrorAsync(401);
            Assert.Equal("untrusted_exchange", stale.GetProperty("code").GetString());
        }

        var absurd = Signed(real, json, json);
        absurd.Headers.Remove(RequestSignature.TimestampHeader);
        absurd.Headers.Add(RequestSignature.TimestampHeader, "99999999999999999");
        await (await direct.SendAsync(absurd)).AssertOpenAIErrorAsync(401);
        Assert.Equal(before, node.Received);

        // Signed right: served once; the very same request played again is refused.
        var once = Signed(real, json, json);
        var replay = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json.Body(json) };
        foreach (var h in once.Headers)
        {
            replay.Headers.Add(h.Key, h.Value);
        }

        Assert.Equal(200, (int)(await direct.SendAsync(once)).StatusCode);
        var replayed = await (await direct.SendAsync(replay)).AssertOpenAIErrorAsync(401);
        Assert.Equal("replayed_request", replayed.GetProperty("code").GetString());
        Assert.Equal(before + 1, node.Received);
        before = node.Received;

        // Through the exchange: served.
        var ok = await demo.Http.PostChatAsync(json[..^1] + ""","provider":{"only":["de-frankfurt"]}}""");
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.Equal(before + 1, node.Received);
    }

    private static HttpRequestMessage Signed(SigningKey key, string sent, string signedBody, string node = "de-frankfurt", DateTimeOffset? at = null)
    {
        var m = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions") { Content = Json.Body(sent) };
        m.Headers.Add("Entrepot-Buyer-Jurisdiction", "DE"); // the demo nodes screen buyers
        return m.Sign(key, node, System.Text.Encoding.UTF8.GetBytes(signedBody), "req_" + Guid.NewGuid().ToString("N"), at);
    }
}

/// <summary>The demo market's links run over TLS with its private CA; a node whose certificate does
/// not chain to that CA is never spoken to.</summary>
public class TransportSecurityTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Fact]
    public async Task NodeWithACertificateFromAnotherCa_IsRefusedAtTheHandshake()
    {
        Assert.All(demo.Market.Nodes.Values, n => Assert.Equal("https", n.BaseUrl.Scheme));

        var rogueDir = SharedModel.TempDir("rogue-ca");
        using var rogueCa = PrivateCa.LoadOrCreate(rogueDir, "Not the market's CA");
        var (cert, key) = rogueCa.Issue("rogue", ["127.0.0.1", "localhost"], rogueDir);
        using var exchangeKey = SigningKey.LoadOrCreate(demo.Market.Exchange.Settings.DataDir);
        var config = new Exporter.Hosting.ExporterConfig
        {
            Node = new Exporter.Hosting.NodeSection { Id = "rogue", Jurisdiction = "DE", Port = 0 },
            Engine = new Exporter.Hosting.EngineSection { Kind = "upstream", BaseUrl = "http://127.0.0.1:9/v1", Models = [demo.Market.ModelName] },
            TrustedExchanges = [new Exporter.Hosting.TrustedExchange { KeyId = exchangeKey.KeyId, PublicKey = Receipts.Base64Url(exchangeKey.PublicKey) }],
            Tls = new Exporter.Hosting.TlsSection { CertFile = cert, KeyFile = key },
        };
        await using var rogue = Exporter.Hosting.ExporterHost.Create(config,
            new Exporter.Engines.UpstreamEngine(new Uri("http://127.0.0.1:9/v1/"), null, [demo.Market.ModelName]), ownsEngine: true, dataDir: Path.Combine(rogueDir, "node"));
        await rogue.StartAsync();

        using var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new("Bearer", demo.Market.AdminKey);
        var put = await admin.PutAsync("admin/providers/rogue", Json.Body($$$"""
            {"kind":"exporter","base_url":"{{{new Uri(rogue.BaseUrl, "v1").AbsoluteUri}}}","jurisdiction":"DE","models":["{{{demo.Market.ModelName}}}"],
             "price":{"input":0.01,"output":0.01,"currency":"USD"}}
            """));
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        try
        {
            var r = await demo.Http.PostChatAsync($$$"""
                {"model":"{{{demo.Market.ModelName}}}","max_tokens":2,"messages":[{"role":"user","content":"Once"}],"provider":{"only":["rogue"],"allow_fallbacks":false}}
                """);
            Assert.InRange((int)r.StatusCode, 500, 599);
            Assert.Equal(0, rogue.Received);
        }
        finally
        {
            await admin.DeleteAsync("admin/providers/rogue");
        }
    }
}

/// <summary>Through another door, the seller signs what it was sent and answered (chat completions),
/// and the exchange's countersignature also covers the hash of the bytes the buyer received.</summary>
public class DoorReceiptTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Theory]
    [InlineData("v1/responses", """{"model":"MODEL","input":"Once upon a time","max_output_tokens":16,"stream":false,"provider":{"only":["us-ashburn"]}}""")]
    [InlineData("v1/responses", """{"model":"MODEL","input":"Once upon a time","max_output_tokens":16,"stream":true,"provider":{"only":["us-ashburn"]}}""")]
    [InlineData("v1/messages", """{"model":"MODEL","max_tokens":16,"messages":[{"role":"user","content":"Once upon a time"}],"stream":true}""")]
    public async Task TheCountersignatureCovers_WhatTheBuyerReceived(string path, string body)
    {
        using var raw = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        raw.DefaultRequestHeaders.Authorization = new("Bearer", DemoFixture.ApiKey);
        raw.DefaultRequestHeaders.Add("Entrepot-Provider-Preferences", """{"only":["us-ashburn"]}""");
        var request = body.Replace("MODEL", demo.Market.ModelName, StringComparison.Ordinal);
        if (path == "v1/messages")
        {
            raw.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            raw.DefaultRequestHeaders.Remove("Entrepot-Provider-Preferences"); // given in the body instead
        }

        var r = await raw.PostAsync(path, Json.Body(request));
        Assert.Equal(200, (int)r.StatusCode);
        var received = await r.Content.ReadAsByteArrayAsync();

        await demo.Market.Exchange.FlushAsync();
        var got = await demo.Http.GetAsync($"receipts/{r.Header("Entrepot-Request-Id")}");
        Assert.Equal(200, (int)got.StatusCode);
        var doc = JsonNode.Parse(await got.Content.ReadAsStringAsync())!.AsObject();
        Assert.Null(Receipts.Verify(doc));
        Assert.True((bool)doc["check"]!["seller_signature_verified"]!);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(received)), (string?)doc["check"]!["buyer_response_sha256"]);
        // The seller's own hash is of its chat answer, not of what the buyer got.
        Assert.NotEqual((string?)doc["receipt"]!["response_sha256"], (string?)doc["check"]!["buyer_response_sha256"]);
        var flags = doc["check"]!["flags"]!.AsArray().Select(f => (string?)f).ToList();
        Assert.DoesNotContain("response_hash_mismatch", flags);
        Assert.DoesNotContain("request_hash_mismatch", flags);
    }
}
