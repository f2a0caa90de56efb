using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.EndToEnd.Tests;

/// <summary>`entrepot scan` and `entrepot policy` as a user runs them: a real process, stdin and
/// stdout, exit codes.</summary>
public class BorderCliTests
{
    [Fact]
    public async Task Scan_Json_GivesUtf16OffsetsOnMixedLanguageText()
    {
        const string text = "客户张伟，邮箱 zhang.wei@example.cn，身份证 11010519491231002X；Karte 4111 1111 1111 1111.";
        var (code, output, _) = await EntrepotCli.RunWithInputAsync(text, "scan", "--json");
        Assert.Equal(0, code);
        var entities = JsonDocument.Parse(output).RootElement.GetProperty("entities").EnumerateArray().ToList();
        Assert.Equal(["email", "cn_resident_id", "payment_card"], entities.Select(e => e.GetProperty("type").GetString()));
        foreach (var e in entities)
        {
            int start = e.GetProperty("start").GetInt32(), end = e.GetProperty("end").GetInt32();
            Assert.Equal(text[start..end], e.GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task Scan_Jsonl_OneResultPerLine_BadLinesNamed()
    {
        var (code, output, err) = await EntrepotCli.RunWithInputAsync("{\"text\":\"ip 10.1.2.3\"}\n{\"nope\":1}\n{\"text\":\"nothing here\"}\n", "scan", "--jsonl");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("10.1.2.3", JsonDocument.Parse(lines[0]).RootElement.GetProperty("entities")[0].GetProperty("text").GetString());
        Assert.Contains("line 2", JsonDocument.Parse(lines[1]).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(JsonDocument.Parse(lines[2]).RootElement.GetProperty("entities").EnumerateArray());
        Assert.Contains("line 2", err, StringComparison.Ordinal);
        Assert.Equal(1, code);
    }

    [Fact]
    public async Task PolicyCheck_Json_DeniesWithCitation_ExitCode2()
    {
        var (code, output, _) = await EntrepotCli.RunWithInputAsync(null, "policy", "check", "--from", "US", "--to", "HK", "--data-class", "government-related", "--json");
        Assert.Equal(2, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("deny", root.GetProperty("verdict").GetString());
        Assert.Equal("government-related", root.GetProperty("data_class").GetString());
        var rule = Assert.Single(root.GetProperty("rules").EnumerateArray());
        Assert.Equal("us-dsp-government-related", rule.GetProperty("id").GetString());
        Assert.StartsWith("28 CFR 202.222", rule.GetProperty("citation").GetString(), StringComparison.Ordinal);
        Assert.Equal("deny", rule.GetProperty("effect").GetString());
    }

    [Fact]
    public async Task PolicyCheck_Text_RedactsForNonAdequateDestination()
    {
        var (code, output, _) = await EntrepotCli.RunWithInputAsync(null, "policy", "check", "--from", "DE", "--to", "SG", "--text", "mail jane@example.com or +49 30 1234567", "--json");
        Assert.Equal(0, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal("redact", root.GetProperty("verdict").GetString());
        Assert.Equal(["email", "phone"], root.GetProperty("detected").EnumerateArray().Select(d => d.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task PolicyCheck_ReplaysPriorCounts_ChinaSumsSensitiveCategoriesAcrossRecipients()
    {
        string[] flow = ["policy", "check", "--from", "CN", "--to", "SG", "--data-class", "health", "--text", "patient a@example.com", "--seller-holds", "cn-standard-contract", "--json"];
        var (over, output, _) = await EntrepotCli.RunWithInputAsync(null, [.. flow, "--prior", "health=5000", "--prior", "financial=4999"]);
        Assert.Equal(2, over);
        var rule = JsonDocument.Parse(output).RootElement.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("effect").GetString() == "deny");
        Assert.Equal("cn-cac-spi-assessment", rule.GetProperty("id").GetString());
        Assert.Contains("10000 distinct sensitive subjects sent by this buyer to all recipients", rule.GetProperty("note").GetString(), StringComparison.Ordinal);

        var (under, _, _) = await EntrepotCli.RunWithInputAsync(null, [.. flow, "--prior", "health=5000", "--prior", "financial=4998"]);
        Assert.Equal(0, under);
    }

    [Fact]
    public async Task PolicyLint_ShippedPacksOk_BrokenPackNamesFileLineField()
    {
        var shipped = Path.Combine(AppContext.BaseDirectory, "rules");
        var (ok, output, _) = await EntrepotCli.RunWithInputAsync(null, "policy", "lint", shipped);
        Assert.Equal(0, ok);
        Assert.Contains("ok: 7 packs", output, StringComparison.Ordinal);

        var dir = SharedModel.TempDir("lint");
        File.WriteAllText(Path.Combine(dir, "bad.yaml"), "pack: bad\ntitle: Bad\nsource: https://example.org\nrules:\n  - id: x\n    title: t\n    citation: c\n    effective_from: 2024-01-01\n    effect: forbid\n");
        var (code, _, err) = await EntrepotCli.RunWithInputAsync(null, "policy", "lint", dir);
        Assert.Equal(1, code);
        Assert.Contains("bad.yaml:9: rules[0].effect: unknown effect 'forbid'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PolicyDiff_ReplaysDeclarations_ListsChangedFlows()
    {
        // Record real declarations through a demo exchange, then replay them against a stricter pack set.
        var dataDir = SharedModel.TempDir("diff");
        await using (var market = await Cli.Demo.DemoMarket.StartAsync(new Cli.Demo.DemoOptions
        {
            Port = 0, ApiKey = "ent-diff-test-key-00000000", DataDir = dataDir, ModelPath = SharedModel.Path, DelayScale = 0,
        }))
        {
            using var http = new HttpClient { BaseAddress = new Uri(market.Exchange.BaseUrl, "v1/") };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "ent-diff-test-key-00000000");
            var r = await http.PostChatAsync($$"""{"model":"{{market.ModelName}}","max_tokens":2,"provider":{"only":["sg-singapore"]},"messages":[{"role":"user","content":"to a@example.com"}]}""");
            Assert.Equal(200, (int)r.StatusCode);
            await market.Exchange.FlushAsync();
        }

        var shipped = Path.Combine(AppContext.BaseDirectory, "rules");
        var stricter = SharedModel.TempDir("stricter");
        foreach (var f in Directory.GetFiles(shipped, "*.yaml"))
        {
            var text = File.ReadAllText(f);
            File.WriteAllText(Path.Combine(stricter, Path.GetFileName(f)),
                text.Replace("requires: scc\n    otherwise: redact\n    notes: >-\n      The current clauses", "requires: scc\n    otherwise: deny\n    notes: >-\n      The current clauses", StringComparison.Ordinal));
        }

        var (code, output, err) = await EntrepotCli.RunWithInputAsync(null, "policy", "diff", shipped, stricter, "--replay", dataDir);
        Assert.Equal(0, code);
        Assert.Contains("DE -> SG (sg-singapore), personal [personal-identifiers]: redact (eu-gdpr-scc) -> deny (eu-gdpr-scc)", output, StringComparison.Ordinal);
        Assert.Contains("1 would change", err, StringComparison.Ordinal);
    }
}
