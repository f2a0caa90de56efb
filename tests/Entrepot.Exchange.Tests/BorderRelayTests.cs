using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// The border on the request path against sellers on loopback. The sellers here echo the buyer's
/// last message back (whole or in three-character stream pieces), which a real model would not do
/// reliably: it makes visible what crossed the border and whether placeholders come back restored.
/// </summary>
public class BorderRelayTests
{
    private const string DeKey = "ent-border-test-de-buyer-0000";
    private const string UsKey = "ent-border-test-us-buyer-0000";
    private const string AdminKey = "ent-border-test-admin-key-000";
    private const string AgencyKey = "ent-border-test-us-agency-000";

    private static Task<RecordingSeller> EchoSeller() => RecordingSeller.StartAsync(async (body, ctx) =>
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.TryGetProperty("prompt", out var prompt))
            {
                // The legacy completions endpoint: the prompt echoed as the text.
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(JsonSerializer.Serialize(new
                {
                    id = "x", @object = "text_completion", created = 1, model = "m",
                    choices = new[] { new { index = 0, text = "You said: " + prompt.GetString(), finish_reason = "stop" } },
                    usage = new { prompt_tokens = 9, completion_tokens = 5, total_tokens = 14 },
                }));
                return;
            }

            var said = "You said: " + doc.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString();
            if (doc.RootElement.TryGetProperty("stream", out var s) && s.GetBoolean())
            {
                ctx.Response.ContentType = "text/event-stream";
                for (int i = 0; i < said.Length; i += 3)
                {
                    var piece = JsonSerializer.Serialize(said.Substring(i, Math.Min(3, said.Length - i)));
                    await ctx.Response.WriteAsync($"data: {{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{{\"content\":{piece}}},\"finish_reason\":null}}]}}\n\n");
                    await ctx.Response.Body.FlushAsync();
                }

                await ctx.Response.WriteAsync("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
                await ctx.Response.WriteAsync("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":5,\"total_tokens\":14}}\n\ndata: [DONE]\n\n");
                return;
            }

            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "x", @object = "chat.completion", created = 1, model = "m",
                choices = new[] { new { index = 0, message = new { role = "assistant", content = said }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 9, completion_tokens = 5, total_tokens = 14 },
            }));
        });

    private static async Task<ExchangeHost> StartExchange(string? rulesDir, params (string Id, string Jurisdiction, RecordingSeller Seller, decimal Price)[] sellers)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, DefaultSort = "price", Jurisdiction = "DE", AdminKey = AdminKey, RulesDir = rulesDir },
            Accounts =
            [
                new AccountSpec { Id = "de-buyer", Keys = [DeKey], HomeJurisdiction = "DE" },
                new AccountSpec { Id = "us-buyer", Keys = [UsKey], HomeJurisdiction = "US" },
                new AccountSpec { Id = "us-agency", Keys = [AgencyKey], HomeJurisdiction = "US", DefaultDataClass = "government-related" },
            ],
            Providers = sellers.Select(s => new ProviderSpec
            {
                Id = s.Id, Kind = "openai", BaseUrl = s.Seller.Upstream.V1.AbsoluteUri, Jurisdiction = s.Jurisdiction, Models = ["m"],
                Price = new PriceSpec { Input = s.Price, Output = s.Price }, Ownership = s.Jurisdiction[..2],
            }).ToList(),
        };
        var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "border-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        return host;
    }

    private static HttpClient Client(ExchangeHost host, string key) => host.Client(key);

    private static StringContent Chat(string content, bool stream = false, string? dataClass = null)
    {
        var body = JsonSerializer.Serialize(new { model = "m", stream, messages = new[] { new { role = "user", content } } });
        var c = new StringContent(body, Encoding.UTF8, "application/json");
        if (dataClass is not null)
        {
            c.Headers.Add("Entrepot-Data-Class", dataClass);
        }

        return c;
    }

    [Fact]
    public async Task EmailToNonAdequateSeller_ArrivesRedacted_AnswerRestored()
    {
        var sg = await EchoSeller();
        await using var _ = sg.Upstream;
        await using var host = await StartExchange(null, ("sg-1", "SG", sg, 1m));
        using var http = Client(host, DeKey);

        var r = await http.PostAsync("v1/chat/completions", Chat("Please write to anna.schmidt@example.de and call +49 30 1234567."));
        var text = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var seen = Assert.Single(sg.Bodies);
        Assert.DoesNotContain("anna.schmidt@example.de", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("1234567", seen, StringComparison.Ordinal);
        Assert.Contains("[EMAIL_1]", seen, StringComparison.Ordinal);
        Assert.Contains("[PHONE_1]", seen, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("You said: Please write to anna.schmidt@example.de and call +49 30 1234567.",
            doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("verdict=redact; class=personal; rules=eu-gdpr-scc; redacted=email:1,phone:1", r.Headers.GetValues("Entrepot-Policy").Single());
    }

    [Fact]
    public async Task LegacyCompletions_PromptArrivesRedacted_TextRestored()
    {
        var sg = await EchoSeller();
        await using var _ = sg.Upstream;
        await using var host = await StartExchange(null, ("sg-1", "SG", sg, 1m));
        using var http = Client(host, DeKey);

        var body = JsonSerializer.Serialize(new { model = "m", prompt = "Invoice anna.schmidt@example.de, phone +49 30 1234567." });
        var r = await http.PostAsync("v1/completions", new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        var seen = Assert.Single(sg.Bodies);
        Assert.DoesNotContain("anna.schmidt@example.de", seen, StringComparison.Ordinal);
        Assert.DoesNotContain("1234567", seen, StringComparison.Ordinal);
        Assert.Contains("[EMAIL_1]", seen, StringComparison.Ordinal);
        Assert.Contains("[PHONE_1]", seen, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal("You said: Invoice anna.schmidt@example.de, phone +49 30 1234567.", doc.RootElement.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("verdict=redact; class=personal; rules=eu-gdpr-scc; redacted=email:1,phone:1", r.Headers.GetValues("Entrepot-Policy").Single());
    }

    [Fact]
    public async Task Streaming_PlaceholdersSplitAcrossChunks_AreRestored()
    {
        var sg = await EchoSeller();
        await using var _ = sg.Upstream;
        await using var host = await StartExchange(null, ("sg-1", "SG", sg, 1m));
        using var http = Client(host, DeKey);

        var r = await http.PostAsync("v1/chat/completions", Chat("IBAN DE89 3704 0044 0532 0130 00 for jane@example.com", stream: true));
        var events = (await r.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("[IBAN_1]", Assert.Single(sg.Bodies), StringComparison.Ordinal);
        var content = new StringBuilder();
        foreach (var e in events.Where(e => e.StartsWith("data: {", StringComparison.Ordinal)))
        {
            using var d = JsonDocument.Parse(e[6..]);
            foreach (var c in d.RootElement.GetProperty("choices").EnumerateArray())
            {
                if (c.GetProperty("delta").TryGetProperty("content", out var piece))
                {
                    content.Append(piece.GetString());
                }
            }
        }

        Assert.Equal("You said: IBAN DE89 3704 0044 0532 0130 00 for jane@example.com", content.ToString());
        Assert.Equal("data: [DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("\"usage\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GovernmentRelatedData_ToCountryOfConcern_Gets451_AndNoSellerSeesIt()
    {
        var cn = await EchoSeller();
        var hk = await EchoSeller();
        await using var a = cn.Upstream;
        await using var b = hk.Upstream;
        await using var host = await StartExchange(null, ("cn-1", "CN", cn, 1m), ("hk-1", "HK", hk, 2m));
        using var http = Client(host, UsKey);

        var r = await http.PostAsync("v1/chat/completions", Chat("Summarise the clearance list.", dataClass: "government-related"));
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        var error = doc.RootElement.GetProperty("error");
        var message = error.GetProperty("message").GetString()!;
        Assert.Equal("unavailable_for_legal_reasons", error.GetProperty("code").GetString());
        Assert.Contains("Seller cn-1 (CN): us-dsp-government-related (28 CFR 202.222", message, StringComparison.Ordinal);
        Assert.Contains("Seller hk-1 (HK): us-dsp-government-related", message, StringComparison.Ordinal);
        Assert.StartsWith("verdict=deny; class=government-related; rules=us-dsp-government-related", r.Headers.GetValues("Entrepot-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(0, cn.Upstream.Calls);
        Assert.Equal(0, hk.Upstream.Calls);
    }

    [Fact]
    public async Task DeniedSellerIsSkipped_AllowedOneServes()
    {
        var cn = await EchoSeller();
        var de = await EchoSeller();
        await using var a = cn.Upstream;
        await using var b = de.Upstream;
        await using var host = await StartExchange(null, ("cn-1", "CN", cn, 1m), ("de-1", "DE", de, 5m));
        using var http = Client(host, UsKey);

        var r = await http.PostAsync("v1/chat/completions", Chat("Draft the procurement memo.", dataClass: "government-related"));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("de-1", r.Headers.GetValues("Entrepot-Provider").Single());
        Assert.Equal(0, cn.Upstream.Calls);
        Assert.Equal("verdict=allow; class=government-related", r.Headers.GetValues("Entrepot-Policy").Single());
    }

    [Fact]
    public async Task AccountDefaultClass_AppliesWithoutAHeader()
    {
        var cn = await EchoSeller();
        await using var _ = cn.Upstream;
        await using var host = await StartExchange(null, ("cn-1", "CN", cn, 1m));
        using var agency = Client(host, AgencyKey);
        var r = await agency.PostAsync("v1/chat/completions", Chat("An ordinary question."));
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
        Assert.Equal(0, cn.Upstream.Calls);
        using var us = Client(host, UsKey);
        Assert.Equal(HttpStatusCode.OK, (await us.PostAsync("v1/chat/completions", Chat("An ordinary question."))).StatusCode);
    }

    [Theory]
    [InlineData("top-secret")]
    [InlineData("sensitive-personal:hair-colour")]
    public async Task UnknownDataClass_Is400_NamingTheHeader(string value)
    {
        var de = await EchoSeller();
        await using var _ = de.Upstream;
        await using var host = await StartExchange(null, ("de-1", "DE", de, 1m));
        using var http = Client(host, DeKey);
        var r = await http.PostAsync("v1/chat/completions", Chat("hi", dataClass: value));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        Assert.Equal("Entrepot-Data-Class", doc.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(0, de.Upstream.Calls);
    }

    [Fact]
    public async Task Declarations_AreListedFilteredPagedAndExportedAsCsv()
    {
        var cn = await EchoSeller();
        await using var b = cn.Upstream;
        await using var host = await StartExchange(null, ("cn-1", "CN", cn, 2m));
        using var de = Client(host, DeKey);
        using var us = Client(host, UsKey);
        Assert.Equal(HttpStatusCode.OK, (await de.PostAsync("v1/chat/completions", Chat("mail a@example.com"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await de.PostAsync("v1/chat/completions", Chat("mail b@example.com"))).StatusCode);
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, (await us.PostAsync("v1/chat/completions", Chat("x", dataClass: "government-related"))).StatusCode);
        await host.FlushAsync();

        using var mine = JsonDocument.Parse(await de.GetStringAsync("v1/trade/declarations"));
        var rows = mine.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(2, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Equal("DE", row.GetProperty("origin").GetString());
            Assert.Equal("CN", row.GetProperty("destination").GetString());
            Assert.Equal("redact", row.GetProperty("verdict").GetString());
            Assert.Equal("email:1", row.GetProperty("detected").GetString());
            Assert.Equal(1, row.GetProperty("redactions").GetInt32());
            Assert.Equal(14, row.GetProperty("input_tokens").GetInt64() + row.GetProperty("output_tokens").GetInt64());
        });

        using var page = JsonDocument.Parse(await de.GetStringAsync("v1/trade/declarations?limit=1"));
        var next = page.RootElement.GetProperty("next_after").GetInt64();
        using var page2 = JsonDocument.Parse(await de.GetStringAsync($"v1/trade/declarations?limit=1&after={next}"));
        Assert.NotEqual(page.RootElement.GetProperty("data")[0].GetProperty("request_id").GetString(), page2.RootElement.GetProperty("data")[0].GetProperty("request_id").GetString());

        using var admin = Client(host, AdminKey);
        using var denied = JsonDocument.Parse(await admin.GetStringAsync("v1/trade/declarations?verdict=deny"));
        var refusal = Assert.Single(denied.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal("us-buyer", refusal.GetProperty("account_id").GetString());
        Assert.Equal(JsonValueKind.Null, refusal.GetProperty("destination").ValueKind);
        Assert.Equal("us-dsp-government-related", refusal.GetProperty("rules").GetString());

        var csv = await admin.GetStringAsync("v1/trade/declarations?format=csv");
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("seq,request_id,timestamp,account_id,origin,destination", lines[0], StringComparison.Ordinal);
        Assert.Equal(4, lines.Length);

        var bad = await de.GetAsync("v1/trade/declarations?limit=0");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("\"param\":\"limit\"", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await new HttpClient { BaseAddress = host.BaseUrl }.GetAsync("v1/trade/declarations")).StatusCode);
    }

    [Fact]
    public async Task PackReload_ChangesDecisions_AndIsRecordedAsRegulatoryChange()
    {
        var rules = Path.Combine(Path.GetTempPath(), "entrepot-tests", "rules-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(rules);
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "rules"), "*.yaml"))
        {
            File.Copy(f, Path.Combine(rules, Path.GetFileName(f)));
        }

        var sg = await EchoSeller();
        await using var _ = sg.Upstream;
        await using var host = await StartExchange(rules, ("sg-1", "SG", sg, 1m));
        using var http = Client(host, DeKey);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("v1/chat/completions", Chat("mail a@example.com"))).StatusCode);

        // The regulator tightens: no safeguard now means no transfer, not redaction.
        var gdpr = Path.Combine(rules, "eu-gdpr.yaml");
        File.WriteAllText(gdpr, File.ReadAllText(gdpr).Replace("requires: scc\n    otherwise: redact\n    notes: >-\n      The current clauses", "requires: scc\n    otherwise: deny\n    notes: >-\n      The current clauses", StringComparison.Ordinal));
        using var admin = Client(host, AdminKey);
        var reload = await admin.PostAsync("admin/policy/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        using var policy = JsonDocument.Parse(await reload.Content.ReadAsStringAsync());
        var change = Assert.Single(policy.RootElement.GetProperty("changes").EnumerateArray());
        Assert.Equal(["eu-gdpr-scc"], change.GetProperty("changed").EnumerateArray().Select(x => x.GetString()));

        var r = await http.PostAsync("v1/chat/completions", Chat("mail a@example.com"));
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
        Assert.Single(sg.Bodies);

        // A broken file is refused with its place; the packs in force stay.
        File.WriteAllText(Path.Combine(rules, "broken.yaml"), "pack: broken\ntitle: t\nsource: s\nrules:\n  - id: b\n    title: t\n    citation: c\n    effective_from: 2024-13-01\n    effect: deny\n");
        var rejected = await admin.PostAsync("admin/policy/reload", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
        var why = await rejected.Content.ReadAsStringAsync();
        Assert.True(why.Contains("broken.yaml:8: rules[0].effective_from", StringComparison.Ordinal), why);
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, (await http.PostAsync("v1/chat/completions", Chat("mail a@example.com"))).StatusCode);
    }
}
