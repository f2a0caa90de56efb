using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// What crosses the border beyond message text: every field a buyer can put data in, credentials,
/// content nothing can read, and bodies that are not the JSON they claim to be. The seller here
/// records what it receives and answers with a tool call whose arguments echo the last message, so
/// what it saw and what the buyer gets back are both visible.
/// </summary>
public class BorderFieldsTests
{
    private const string DeKey = "ent-fields-test-de-buyer-0000";
    private const string OpenKey = "ent-fields-test-de-open-00000";
    private const string UsKey = "ent-fields-test-us-buyer-0000";
    private const string AdminKey = "ent-fields-test-admin-key-000";
    private const string Email = "anna.schmidt@example.de";
    private const string ApiKey = "sk-proj-Zq4vB8nT2wX6yR1kP9sD3fG7hJ5lM0cVbN8aQ2eW4tY6uI";

    /// <summary>Answers every chat with one tool call, "echo", whose arguments hold the last message's content.</summary>
    private static Task<RecordingSeller> ToolSeller() => RecordingSeller.StartAsync(async (body, ctx) =>
        {
            var root = JsonNode.Parse(body)!;
            var last = root["messages"]!.AsArray()[^1]!["content"];
            var said = last is JsonValue v ? v.GetValue<string>() : last?.ToJsonString() ?? "";
            var arguments = new JsonObject { ["echo"] = said }.ToJsonString();
            if (root["stream"]?.GetValue<bool>() == true)
            {
                ctx.Response.ContentType = "text/event-stream";
                await ctx.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":\"echo\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n");
                for (var i = 0; i < arguments.Length; i += 3)
                {
                    var piece = JsonSerializer.Serialize(arguments.Substring(i, Math.Min(3, arguments.Length - i)));
                    await ctx.Response.WriteAsync($"data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"tool_calls\":[{{\"index\":0,\"function\":{{\"arguments\":{piece}}}}}]}},\"finish_reason\":null}}]}}\n\n");
                    await ctx.Response.Body.FlushAsync();
                }

                await ctx.Response.WriteAsync("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n");
                await ctx.Response.WriteAsync("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":5,\"total_tokens\":14}}\n\ndata: [DONE]\n\n");
                return;
            }

            ctx.Response.ContentType = "application/json";
            var answer = new JsonObject
            {
                ["id"] = "x", ["object"] = "chat.completion", ["created"] = 1, ["model"] = "m",
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0, ["finish_reason"] = "tool_calls",
                    ["message"] = new JsonObject
                    {
                        ["role"] = "assistant", ["content"] = null,
                        ["tool_calls"] = new JsonArray(new JsonObject
                        {
                            ["id"] = "c1", ["type"] = "function",
                            ["function"] = new JsonObject { ["name"] = "echo", ["arguments"] = arguments },
                        }),
                    },
                }),
                ["usage"] = new JsonObject { ["prompt_tokens"] = 9, ["completion_tokens"] = 5, ["total_tokens"] = 14 },
            };
            await ctx.Response.WriteAsync(answer.ToJsonString());
        });

    private static async Task<ExchangeHost> StartExchange(string? rulesDir, params (string Id, string Jurisdiction, RecordingSeller Seller)[] sellers)
    {
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, DefaultSort = "price", Jurisdiction = "DE", AdminKey = AdminKey, RulesDir = rulesDir, MaxRequestBytes = 64 * 1024 },
            Accounts =
            [
                new AccountSpec { Id = "de-buyer", Keys = [DeKey], HomeJurisdiction = "DE" },
                new AccountSpec { Id = "de-open", Keys = [OpenKey], HomeJurisdiction = "DE", SecretsInClear = true },
                new AccountSpec { Id = "us-buyer", Keys = [UsKey], HomeJurisdiction = "US" },
            ],
            Providers = sellers.Select(s => new ProviderSpec
            {
                Id = s.Id, Kind = "openai", BaseUrl = s.Seller.Upstream.V1.AbsoluteUri, Jurisdiction = s.Jurisdiction, Models = ["m"],
                Price = new PriceSpec { Input = 1m, Output = 1m }, Ownership = s.Jurisdiction, Attestations = ["zero-retention"],
            }).ToList(),
        };
        var host = ExchangeHost.Create(config, Path.Combine(Path.GetTempPath(), "entrepot-tests", "fields-" + Guid.NewGuid().ToString("N")[..8]));
        await host.StartAsync();
        return host;
    }

    private static HttpClient Client(ExchangeHost host, string key) => host.Client(key);

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>The email in every field a chat request can carry it in, at once.</summary>
    private static readonly string EveryField = """
        {"model":"m","user":"@@","metadata":{"customer":"@@"},
         "tools":[{"type":"function","function":{"name":"send","description":"Writes to @@","parameters":{"type":"object","properties":{"to":{"type":"string","default":"@@"}}}}}],
         "response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","description":"for @@"}}},
         "prediction":{"type":"content","content":"Dear @@"},
         "messages":[
           {"role":"system","name":"@@","content":"You help @@."},
           {"role":"user","content":[{"type":"text","text":"Mail @@"}]},
           {"role":"assistant","content":null,"tool_calls":[{"id":"c0","type":"function","function":{"name":"send","arguments":"{\"to\":\"@@\"}"}}]},
           {"role":"tool","tool_call_id":"c0","content":"sent to @@"},
           {"role":"user","content":"Again: @@"}]}
        """.Replace("@@", Email, StringComparison.Ordinal);

    [Fact]
    public async Task EveryDataField_CrossesRedacted_AndTheToolCallAnswerComesBackRestored()
    {
        var sg = await ToolSeller();
        await using var _ = sg.Upstream;
        await using var host = await StartExchange(null, ("sg-1", "SG", sg));
        using var http = Client(host, DeKey);

        var r = await http.PostAsync("v1/chat/completions", Json(EveryField));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        var seen = Assert.Single(sg.Bodies);
        Assert.DoesNotContain("anna.schmidt", seen, StringComparison.Ordinal);
        // Every field still there, each with the placeholder: the request kept its shape.
        var expected = JsonNode.Parse(EveryField.Replace(Email, "[EMAIL_1]", StringComparison.Ordinal))!.AsObject();
        var sent = JsonNode.Parse(seen)!.AsObject();
        Assert.True(JsonNode.DeepEquals(expected, sent), seen);
        Assert.Equal("verdict=redact; class=personal; rules=eu-gdpr-scc; redacted=email:12", r.Headers.GetValues("Entrepot-Policy").Single());

        var arguments = (string)JsonNode.Parse(text)!["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!;
        Assert.Equal($"Again: {Email}", (string)JsonNode.Parse(arguments)!["echo"]!);
    }

    [Fact]
    public async Task ToolCallArgumentsStreamedInPieces_AreRestored()
    {
        var sg = await ToolSeller();
        await using var _ = sg.Upstream;
        await using var host = await StartExchange(null, ("sg-1", "SG", sg));
        using var http = Client(host, DeKey);

        var body = JsonSerializer.Serialize(new { model = "m", stream = true, messages = new[] { new { role = "user", content = $"Mail {Email} now" } } });
        var r = await http.PostAsync("v1/chat/completions", Json(body));
        var events = (await r.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("[EMAIL_1]", Assert.Single(sg.Bodies), StringComparison.Ordinal);
        var arguments = new StringBuilder();
        foreach (var e in events.Where(e => e.StartsWith("data: {", StringComparison.Ordinal)))
        {
            foreach (var c in JsonNode.Parse(e[6..])!["choices"]!.AsArray())
            {
                if (c!["delta"]?["tool_calls"] is JsonArray calls)
                {
                    arguments.Append(string.Concat(calls.Select(call => (string?)call!["function"]?["arguments"])));
                }
            }
        }

        Assert.Equal($"Mail {Email} now", (string)JsonNode.Parse(arguments.ToString())!["echo"]!);
        Assert.Equal("data: [DONE]", events[^1]);
    }

    [Fact]
    public async Task ACredential_NeverCrossesInClear_EvenWhereTheDataMayGo()
    {
        var de = await ToolSeller();
        await using var _ = de.Upstream;
        await using var host = await StartExchange(null, ("de-1", "DE", de));
        using var http = Client(host, DeKey);

        var r = await http.PostAsync("v1/chat/completions", Json(JsonSerializer.Serialize(new
        {
            model = "m", messages = new[] { new { role = "user", content = $"Why does {ApiKey} fail?" } },
        })));
        var text = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, text);
        var seen = Assert.Single(de.Bodies);
        Assert.DoesNotContain(ApiKey, seen, StringComparison.Ordinal);
        Assert.Contains("[SECRET_1]", seen, StringComparison.Ordinal);
        Assert.Equal("verdict=allow; class=internal; redacted=secret:1", r.Headers.GetValues("Entrepot-Policy").Single());
        var arguments = (string)JsonNode.Parse(text)!["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!;
        Assert.Equal($"Why does {ApiKey} fail?", (string)JsonNode.Parse(arguments)!["echo"]!);

        await host.FlushAsync();
        var row = Assert.Single(JsonNode.Parse(await http.GetStringAsync("v1/trade/declarations"))!["data"]!.AsArray())!;
        Assert.Equal("secret:1", (string)row["detected"]!);
        Assert.Equal(1, (int)row["redactions"]!);
    }

    [Fact]
    public async Task AnAccountThatOptedOutInWriting_SendsCredentialsInClear_AndTheDeclarationSaysSo()
    {
        var de = await ToolSeller();
        await using var _ = de.Upstream;
        await using var host = await StartExchange(null, ("de-1", "DE", de));
        using var http = Client(host, OpenKey);

        var r = await http.PostAsync("v1/chat/completions", Json(JsonSerializer.Serialize(new
        {
            model = "m", messages = new[] { new { role = "user", content = $"Why does {ApiKey} fail?" } },
        })));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Contains(ApiKey, Assert.Single(de.Bodies), StringComparison.Ordinal);
        Assert.Equal("verdict=allow; class=internal; secrets=in-clear", r.Headers.GetValues("Entrepot-Policy").Single());

        await host.FlushAsync();
        var row = Assert.Single(JsonNode.Parse(await http.GetStringAsync("v1/trade/declarations"))!["data"]!.AsArray())!;
        Assert.Equal("account:secrets-in-clear", (string)row["rules"]!);
        Assert.Equal(0, (int)row["redactions"]!);
    }

    [Fact]
    public async Task AnImage_IsNeverDeclaredClean_ItIsPersonalUnlessDeclared_AndARuleCanRefuseIt()
    {
        var rules = Path.Combine(Path.GetTempPath(), "entrepot-tests", "rules-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(rules);
        foreach (var f in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "rules"), "*.yaml"))
        {
            File.Copy(f, Path.Combine(rules, Path.GetFileName(f)));
        }

        File.WriteAllText(Path.Combine(rules, "zz-unscanned.yaml"), """
            pack: zz-unscanned
            title: Test pack
            authority: test
            law: test
            source: https://example.org/test
            rules:
              - id: zz-no-unscanned-to-us
                title: Nothing unreadable to the US
                citation: test
                effective_from: 2020-01-01
                match:
                  destination: [US]
                  unscanned: true
                effect: deny
            """);
        var de = await ToolSeller();
        var us = await ToolSeller();
        await using var a = de.Upstream;
        await using var b = us.Upstream;
        await using var host = await StartExchange(rules, ("de-1", "DE", de), ("us-1", "US", us));
        using var http = Client(host, DeKey);
        const string image = """{"model":"m","provider":{"only":["PROVIDER"]},"messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}""";

        var r = await http.PostAsync("v1/chat/completions", Json(image.Replace("PROVIDER", "de-1", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("verdict=allow; class=personal; rules=eu-gdpr-intra-eea; unscanned=1", r.Headers.GetValues("Entrepot-Policy").Single());

        var declared = new StringContent(image.Replace("PROVIDER", "de-1", StringComparison.Ordinal), Encoding.UTF8, "application/json");
        declared.Headers.Add("Entrepot-Data-Class", "public");
        r = await http.PostAsync("v1/chat/completions", declared);
        Assert.Equal("verdict=allow; class=public; unscanned=1", r.Headers.GetValues("Entrepot-Policy").Single());

        r = await http.PostAsync("v1/chat/completions", Json(image.Replace("PROVIDER", "us-1", StringComparison.Ordinal)));
        var refusal = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
        Assert.Contains("zz-no-unscanned-to-us", refusal, StringComparison.Ordinal);
        Assert.Contains("unscanned:1", refusal, StringComparison.Ordinal);
        Assert.Empty(us.Bodies);

        await host.FlushAsync();
        var rows = JsonNode.Parse(await http.GetStringAsync("v1/trade/declarations"))!["data"]!.AsArray();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row => Assert.Equal("unscanned:1", (string)row!["detected"]!));
    }

    [Fact]
    public async Task DeclaredGenomicDataAboutNobodyNamed_NeedsItsSubjectCount_AndTheCountDecides()
    {
        var cn = await ToolSeller();
        await using var _ = cn.Upstream;
        await using var host = await StartExchange(null, ("cn-1", "CN", cn));
        using var http = Client(host, UsKey);
        StringContent Rows(string? subjects)
        {
            var c = Json(JsonSerializer.Serialize(new { model = "m", messages = new[] { new { role = "user", content = "S-0001 rs4988235 AA\nS-0002 rs4988235 AG" } } }));
            c.Headers.Add("Entrepot-Data-Class", "genomic");
            if (subjects is not null)
            {
                c.Headers.Add("Entrepot-Data-Subjects", subjects);
            }

            return c;
        }

        var r = await http.PostAsync("v1/chat/completions", Rows(null));
        var refusal = await r.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
        Assert.Contains("us-dsp-bulk-genomic", refusal, StringComparison.Ordinal);
        Assert.Contains("Entrepot-Data-Subjects", refusal, StringComparison.Ordinal);

        foreach (var bad in (string[])["0", "-3", "2.5", "many", "100001"])
        {
            r = await http.PostAsync("v1/chat/completions", Rows(bad));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal("Entrepot-Data-Subjects", (string?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!["param"]);
        }

        Assert.Empty(cn.Bodies);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("v1/chat/completions", Rows("60"))).StatusCode); // 60 people: under 100
        // 60 more cannot be told apart from the first 60: 120 people, over the threshold.
        r = await http.PostAsync("v1/chat/completions", Rows("60"));
        Assert.Equal(HttpStatusCode.UnavailableForLegalReasons, r.StatusCode);
        Assert.Contains("120 distinct genomic subjects", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Single(cn.Bodies);
    }

    [Theory]
    [InlineData("text/plain", """{"model":"m","messages":[{"role":"user","content":"x"}]}""", "Content-Type", "invalid_content_type")]
    [InlineData("application/x-www-form-urlencoded", "model=m", "Content-Type", "invalid_content_type")]
    [InlineData("application/json; charset=utf-16", """{"model":"m","messages":[{"role":"user","content":"x"}]}""", "Content-Type", "invalid_content_type")]
    [InlineData("application/json", """{"model":"m","messages":[{"role":"root","content":"x"}]}""", "messages[0].role", "invalid_request")]
    [InlineData("application/json", """{"model":"m","messages":[{"role":"user","content":"x"}]}{}""", null, "invalid_json")]
    public async Task ABodyThatIsNotTheJsonItClaims_Is400_NamingTheProblem_BeforeAnySeller(string contentType, string body, string? param, string code)
    {
        var de = await ToolSeller();
        await using var _ = de.Upstream;
        await using var host = await StartExchange(null, ("de-1", "DE", de));
        using var http = Client(host, DeKey);
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var r = await http.PostAsync("v1/chat/completions", content);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var error = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal(param, (string?)error["param"]);
        Assert.Equal(code, (string)error["code"]!);
        Assert.Empty(de.Bodies);
    }

    [Fact]
    public async Task InvalidUtf8_Is400_NotA500()
    {
        var de = await ToolSeller();
        await using var _ = de.Upstream;
        await using var host = await StartExchange(null, ("de-1", "DE", de));
        using var http = Client(host, DeKey);
        var bytes = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"caf\u00e9 X"}]}""");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF; // never valid in UTF-8
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var r = await http.PostAsync("v1/chat/completions", content);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("invalid_encoding", (string)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["error"]!["code"]!);
        Assert.Empty(de.Bodies);
    }

    [Fact]
    public async Task AnOverLongBody_Gets413InTheErrorShape_AndTheClientCanReadIt()
    {
        var de = await ToolSeller();
        await using var _ = de.Upstream;
        await using var host = await StartExchange(null, ("de-1", "DE", de));
        // A client that sends the whole body before reading, as most do: the answer must still be
        // there to read, not a reset connection.
        var big = new string('a', 1024 * 1024);
        var body = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"user","content":"{{big}}"}]}""");
        using var socket = new TcpClient();
        await socket.ConnectAsync("127.0.0.1", host.BaseUrl.Port);
        var stream = socket.GetStream();
        var head = Encoding.ASCII.GetBytes($"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {DeKey}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n");
        await stream.WriteAsync(head);
        try
        {
            await stream.WriteAsync(body);
        }
        catch (IOException)
        {
            // The server may stop reading once it has answered; the answer is what matters.
        }

        var answer = new MemoryStream();
        var buffer = new byte[8192];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30))) > 0)
            {
                answer.Write(buffer, 0, n);
            }
        }
        catch (IOException) when (answer.Length > 0)
        {
        }

        var text = Encoding.UTF8.GetString(answer.ToArray());
        Assert.StartsWith("HTTP/1.1 413", text, StringComparison.Ordinal);
        var payload = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        var json = JsonNode.Parse(payload[payload.IndexOf('{', StringComparison.Ordinal)..(payload.LastIndexOf('}') + 1)])!; // chunked or not
        Assert.Equal("request_too_large", (string)json["error"]!["code"]!);
        Assert.Empty(de.Bodies);
    }
}
