using System.Text.Json.Nodes;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// Tamper evidence that does not trust the exchange's disk: the checkpoints are published (GET
/// /v1/ledger/checkpoints) to anyone who trades, a copy kept by a buyer proves later that the ledger
/// still holds what it held (`ledger verify --checkpoints`), and the key is pinned out of band
/// (`--exchange-key`): whoever rewrites the data directory, key file included, is found.
/// </summary>
public class LedgerCheckpointCliTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Fact]
    public async Task PublishedCheckpoints_ProveTheLedgerWasNotCutShort_AndThePinnedKeyIsTheOneThatSigned()
    {
        // A buyer reads the exchange's published checkpoints (a key is needed; nobody else may).
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(200, (int)(await demo.Http.PostChatAsync($$"""{"model":"{{demo.Market.ModelName}}","max_tokens":3,"messages":[{"role":"user","content":"Once"}]}""")).StatusCode);
        }

        // The exchange seals its ledger within 10 s of an entry, even when no more come.
        JsonNode page;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            page = JsonNode.Parse(await demo.Http.GetStringAsync("ledger/checkpoints"))!;
            await Task.Delay(250);
        }
        while (page["data"]!.AsArray().Count == 0 && DateTime.UtcNow < deadline);

        var exchangeKey = (string)page["public_key"]!;
        var first = page["data"]!.AsArray()[0]!;
        Assert.True((long)first["seq"]! >= 3);
        Assert.Null(new LedgerCheckpoint((long)first["seq"]!, (string)first["hash"]!, (string)first["ts"]!, (string)first["key_id"]!, (string)first["public_key"]!,
            (string)first["signature"]!).Check(Receipts.FromBase64Url(exchangeKey), out _));
        using var anonymous = new HttpClient { BaseAddress = demo.V1 };
        Assert.Equal(401, (int)(await anonymous.GetAsync("ledger/checkpoints")).StatusCode);

        // A ledger of 2,500 entries of that exchange's key (a copy of its data dir), its checkpoints published and kept.
        var dir = SharedModel.TempDir("published");
        File.Copy(Path.Combine(demo.Market.Exchange.Settings.DataDir, SigningKey.FileName), Path.Combine(dir, SigningKey.FileName));
        using var key = SigningKey.LoadOrCreate(dir);
        var db = new SqliteDatabase(Path.Combine(dir, "exchange.db"));
        using (var ledger = new SqliteLedger(db, key))
        {
            ledger.Append(Enumerable.Range(1, 2500).Select(i => LedgerPost.ForTrade("req_" + i, "USD", "buyer", "seller", 0.01m, 2m)));
        }

        var kept = Path.Combine(dir, "kept-checkpoints.json");
        using (var ledger = new SqliteLedger(db, key))
        {
            await File.WriteAllTextAsync(kept, new JsonObject { ["data"] = JsonSerializerNode(ledger.Checkpoints(0, 100)) }.ToJsonString());
        }

        var ok = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir, "--exchange-key", exchangeKey, "--checkpoints", kept);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("VALID: 2500 entries", ok.Output, StringComparison.Ordinal);
        Assert.Contains("all 3 published checkpoints are in it", ok.Output, StringComparison.Ordinal);

        // Whoever can write the directory cuts the last 600 entries and their checkpoint: the ledger
        // alone still verifies (a shorter history, its tail unsealed) ...
        using (var c = db.Open())
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "DELETE FROM ledger WHERE seq > 1900; DELETE FROM ledger_checkpoints WHERE seq > 1000";
            cmd.ExecuteNonQuery();
        }

        var alone = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir);
        Assert.True(alone.Code == 0, alone.Output);
        Assert.Contains("not yet sealed: 900 entries after the last checkpoint (from entry 1001)", alone.Output, StringComparison.Ordinal);

        // ... but not against what was published.
        var cut = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir, "--checkpoints", kept);
        Assert.Equal(1, cut.Code);
        Assert.Contains("published checkpoint at entry 2000 is not in this ledger", cut.Output, StringComparison.Ordinal);

        // A rewritten history signed with a new key put in the data dir: the key pinned out of band refuses it.
        File.Delete(Path.Combine(dir, SigningKey.FileName));
        using var forger = SigningKey.LoadOrCreate(dir);
        var forgedDb = new SqliteDatabase(Path.Combine(dir, "forged", "exchange.db"));
        using (var forged = new SqliteLedger(forgedDb, forger))
        {
            forged.Append(Enumerable.Range(1, 50).Select(i => LedgerPost.ForTrade("req_" + i, "USD", "buyer", "seller", 0.001m, 2m)));
        }

        File.Copy(Path.Combine(dir, SigningKey.FileName), Path.Combine(dir, "forged", SigningKey.FileName));
        Assert.Equal(0, (await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", Path.Combine(dir, "forged"))).Code); // trusts the disk's key
        var pinned = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", Path.Combine(dir, "forged"), "--exchange-key", exchangeKey);
        Assert.Equal(1, pinned.Code);
        Assert.Contains("not the exchange's", pinned.Output, StringComparison.Ordinal);
        var byId = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir, "--exchange-key", key.KeyId);
        Assert.Equal(64, byId.Code);
    }

    private static JsonArray JsonSerializerNode(IReadOnlyList<LedgerCheckpoint> checkpoints) =>
        new(checkpoints.Select(c => (JsonNode)new JsonObject
        {
            ["seq"] = c.Seq, ["hash"] = c.Hash, ["ts"] = c.Timestamp, ["key_id"] = c.KeyId, ["public_key"] = c.PublicKey, ["signature"] = c.Signature,
        }).ToArray());
}
