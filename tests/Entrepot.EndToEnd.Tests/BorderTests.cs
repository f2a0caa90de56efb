using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.EndToEnd.Tests;

/// <summary>The border through the running demo market: what reaches each exporter node is
/// observed on the node itself.</summary>
public class BorderTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Fact]
    public async Task EuResidentsEmail_ToNonAdequateSeller_ArrivesRedacted()
    {
        var seen = new ConcurrentQueue<string>();
        var sg = demo.Market.Nodes["sg-singapore"];
        sg.OnRequest = (_, body) => seen.Enqueue(Encoding.UTF8.GetString(body));
        try
        {
            var r = await demo.Http.PostChatAsync($$"""
                {"model":"{{demo.Market.ModelName}}","max_tokens":12,"temperature":0,
                 "provider":{"only":["sg-singapore"]},
                 "messages":[{"role":"user","content":"Once upon a time, Lena (lena.weber@example.de, +49 151 23456789) wrote a story."}]}
                """);
            Assert.Equal(200, (int)r.StatusCode);
            Assert.Equal("sg-singapore", r.Header("Entrepot-Provider"));
            Assert.Equal("verdict=redact; class=personal; rules=eu-gdpr-scc; redacted=email:1,phone:1", r.Header("Entrepot-Policy"));
            var text = (await r.ReadJsonAsync()).GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();
            Assert.False(string.IsNullOrWhiteSpace(text));

            var body = Assert.Single(seen);
            Assert.Contains("Lena ([EMAIL_1], [PHONE_1]) wrote a story.", body, StringComparison.Ordinal);
            Assert.DoesNotContain("lena.weber", body, StringComparison.Ordinal);
            Assert.DoesNotContain("23456789", body, StringComparison.Ordinal);
            Assert.DoesNotContain("provider", body, StringComparison.Ordinal);
        }
        finally
        {
            sg.OnRequest = null;
        }
    }

    /// <summary>One request per field a buyer can put data in, with an email, a phone number and an
    /// API key (written @@) there only; chat unless the name says completions.</summary>
    public static TheoryData<string, string> EveryField => new()
    {
        { "content", """{"messages":[{"role":"user","content":"Once upon a time @@ wrote."}]}""" },
        { "text part", """{"messages":[{"role":"user","content":[{"type":"text","text":"Once @@ wrote."}]}]}""" },
        { "message name", """{"messages":[{"role":"user","name":"@@","content":"Once upon a time"}]}""" },
        { "tool call arguments", """{"messages":[{"role":"user","content":"Once"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"send","arguments":"{\"to\":\"@@\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"upon a time"}]}""" },
        { "legacy function call", """{"messages":[{"role":"user","content":"Once"},{"role":"assistant","function_call":{"name":"send","arguments":"{\"to\":\"@@\"}"}},{"role":"function","name":"send","content":"upon a time"}]}""" },
        { "tool definition", """{"messages":[{"role":"user","content":"Once upon a time"}],"tools":[{"type":"function","function":{"name":"send","description":"Writes to @@","parameters":{"type":"object","properties":{"to":{"type":"string","default":"@@"}}}}}]}""" },
        { "user and metadata", """{"messages":[{"role":"user","content":"Once upon a time"}],"user":"@@","metadata":{"customer":"@@"}}""" },
        { "response format", """{"messages":[{"role":"user","content":"Once upon a time"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","description":"for @@"}}}}""" },
        { "prediction", """{"messages":[{"role":"user","content":"Once upon a time"}],"prediction":{"type":"content","content":"Dear @@"}}""" },
        { "unknown field", """{"messages":[{"role":"user","content":"Once upon a time","x_note":"@@"}],"x_context":{"who":"@@"}}""" },
        { "completions prompt", """{"prompt":"Once upon a time @@ wrote."}""" },
        { "completions suffix and user", """{"prompt":"Once upon a time","suffix":"@@","user":"@@"}""" },
    };

    [Theory]
    [MemberData(nameof(EveryField))]
    public async Task EveryFieldType_ReachesTheSeller_WithNoDetectedIdentifierInClear(string field, string template)
    {
        const string Data = "lena.weber@example.de, +49 151 23456789, key sk-proj-Zq4vB8nT2wX6yR1kP9sD3fG7hJ5lM0cVbN8aQ2eW4tY6uI";
        var seen = new ConcurrentQueue<string>();
        var sg = demo.Market.Nodes["sg-singapore"];
        sg.OnRequest = (_, body) => seen.Enqueue(Encoding.UTF8.GetString(body));
        try
        {
            var request = System.Text.Json.Nodes.JsonNode.Parse(template.Replace("@@", Data, StringComparison.Ordinal))!.AsObject();
            request["model"] = demo.Market.ModelName;
            request["max_tokens"] = 4;
            request["provider"] = new System.Text.Json.Nodes.JsonObject { ["only"] = new System.Text.Json.Nodes.JsonArray("sg-singapore") };
            var path = field.StartsWith("completions", StringComparison.Ordinal) ? "completions" : "chat/completions";
            var r = await demo.Http.PostAsync(path, new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"));
            // The text-only embedded engine refuses tools and JSON output (400 naming them) once it has read
            // the request: what matters here is what reached it.
            var expected = field is "tool definition" or "response format" ? 400 : 200;
            Assert.True((int)r.StatusCode == expected, $"{field}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            Assert.StartsWith("verdict=redact; class=personal; rules=eu-gdpr-scc; redacted=", r.Header("Entrepot-Policy"), StringComparison.Ordinal);
            var body = Assert.Single(seen);
            foreach (var clear in (string[])["lena.weber", "23456789", "sk-proj-"])
            {
                Assert.False(body.Contains(clear, StringComparison.Ordinal), $"{field}: '{clear}' reached the seller: {body}");
            }

            Assert.Contains("[EMAIL_1]", body, StringComparison.Ordinal);
        }
        finally
        {
            sg.OnRequest = null;
        }
    }

    [Fact]
    public async Task SameEmail_ToDomesticSeller_IsNotRedacted()
    {
        var seen = new ConcurrentQueue<string>();
        var de = demo.Market.Nodes["de-frankfurt"];
        de.OnRequest = (_, body) => seen.Enqueue(Encoding.UTF8.GetString(body));
        try
        {
            var r = await demo.Http.PostChatAsync($$"""
                {"model":"{{demo.Market.ModelName}}","max_tokens":4,"provider":{"only":["de-frankfurt"]},
                 "messages":[{"role":"user","content":"Write to lena.weber@example.de"}]}
                """);
            Assert.Equal(200, (int)r.StatusCode);
            Assert.StartsWith("verdict=allow; class=personal", r.Header("Entrepot-Policy"), StringComparison.Ordinal);
            Assert.Contains("lena.weber@example.de", Assert.Single(seen), StringComparison.Ordinal);
        }
        finally
        {
            de.OnRequest = null;
        }
    }

    [Fact]
    public async Task GovernmentRelatedData_FromUsBuyer_ToChina_Gets451_AndNoNodeSeesIt()
    {
        using var admin = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", demo.Market.AdminKey);
        var created = await admin.PostAsync("admin/accounts", Json.Body("""{"id":"us-agency-contractor","home_jurisdiction":"US"}"""));
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var issued = await (await admin.PostAsync("admin/accounts/us-agency-contractor/keys", null)).ReadJsonAsync();
        using var buyer = new HttpClient { BaseAddress = demo.V1 };
        buyer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", issued.GetProperty("key").GetString());

        var before = demo.Market.Nodes.ToDictionary(n => n.Key, n => n.Value.Received);
        var content = Json.Body($$"""
            {"model":"{{demo.Market.ModelName}}","max_tokens":8,"provider":{"only":["cn-shanghai"]},
             "messages":[{"role":"user","content":"Summarise the base access roster."}]}
            """);
        content.Headers.Add("Entrepot-Data-Class", "government-related");
        var r = await buyer.PostAsync("chat/completions", content);

        var error = await r.AssertOpenAIErrorAsync(451);
        var message = error.GetProperty("message").GetString()!;
        Assert.Contains("cn-shanghai (CN): us-dsp-government-related (28 CFR 202.222", message, StringComparison.Ordinal);
        Assert.Equal(before, demo.Market.Nodes.ToDictionary(n => n.Key, n => n.Value.Received));

        // Declared, with no destination: the data went nowhere.
        var log = demo.Market.Exchange.Services.GetRequiredService<Storage.ITradeHistory>();
        await demo.Market.Exchange.FlushAsync();
        var declared = log.Declarations(new Storage.DeclarationQuery { AccountId = "us-agency-contractor" });
        var d = Assert.Single(declared);
        Assert.Equal(("deny", (string?)null, "government-related"), (d.Verdict, d.Destination, d.DataClass));

        // Without the pin the same request is lawful elsewhere and goes there, never to China.
        var elsewhere = Json.Body($$"""{"model":"{{demo.Market.ModelName}}","max_tokens":4,"messages":[{"role":"user","content":"Summarise."}]}""");
        elsewhere.Headers.Add("Entrepot-Data-Class", "government-related");
        var ok = await buyer.PostAsync("chat/completions", elsewhere);
        Assert.Equal(200, (int)ok.StatusCode);
        Assert.NotEqual("cn-shanghai", ok.Header("Entrepot-Provider"));
        Assert.Equal(before["cn-shanghai"], demo.Market.Nodes["cn-shanghai"].Received);
    }
}
