using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// A seller whose offer says it speaks the Responses and Messages APIs natively gets a request
/// through those doors unchanged (but for the exchange's provider object), and its answer reaches the
/// buyer as it gave it, read for usage and billed like any other; unless the border's check of the
/// whole body (fields a translation leaves out included) finds something to mask: then it gets the
/// translation, with placeholders, as any seller does.
/// </summary>
public class NativeDoorTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private HttpClient Buyer(string door)
    {
        var http = new HttpClient { BaseAddress = demo.Market.Exchange.BaseUrl };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", DemoFixture.ApiKey);
        if (door == "messages")
        {
            http.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        }

        return http;
    }

    [Theory]
    [InlineData("responses", false)]
    [InlineData("responses", true)]
    [InlineData("messages", false)]
    [InlineData("messages", true)]
    public async Task ANativeSeller_GetsTheDoorsBodyUnchanged_AndItsAnswerIsBilledOnItsUsage(string door, bool stream)
    {
        await using var seller = await ToolSeller.StartAsync();
        var id = $"de-native-{door}-{(stream ? "s" : "w")}";
        await seller.OfferAsync(demo, id, "DE", native: true);
        using var http = Buyer(door);
        var body = door == "responses"
            ? $$$"""{"model":"{{{ToolSeller.Model}}}","input":"Hello, tell me a short story about a lighthouse keeper.","stream":{{{(stream ? "true" : "false")}}},"metadata":{"ticket":"T-1"},"provider":{"only":["{{{id}}}"]}}"""
            : $$$"""{"model":"{{{ToolSeller.Model}}}","max_tokens":32,"stream":{{{(stream ? "true" : "false")}}},"messages":[{"role":"user","content":"Hello, tell me a short story about a lighthouse keeper."}],"thinking":{"type":"disabled"}}""";
        if (door == "messages")
        {
            http.DefaultRequestHeaders.Add("Entrepot-Provider-Preferences", $$$"""{"only":["{{{id}}}"]}""");
        }

        var r = await http.PostAsync($"v1/{door}", Json.Body(body));
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal(id, r.Header("Entrepot-Provider"));
        var answer = await r.Content.ReadAsStringAsync();
        // Whole, or the text deltas of the door's own events put together.
        var text = stream
            ? string.Concat(System.Text.RegularExpressions.Regex.Matches(answer, door == "responses" ? "\"delta\":\"([^\"]*)\"" : "\"text_delta\",\"text\":\"([^\"]*)\"").Select(m => m.Groups[1].Value))
            : answer;
        Assert.Contains("You said: Hello, tell me a short story about a lighthouse keeper.", text, StringComparison.Ordinal);

        // The seller got the door's body as sent, fields a translation drops included, the provider object cut.
        var got = Assert.Single(seller.NativeReceived);
        Assert.Empty(seller.Received);
        Assert.Null(got["provider"]);
        Assert.Equal(door == "responses" ? "T-1" : "disabled", door == "responses" ? (string?)got["metadata"]!["ticket"] : (string?)got["thinking"]!["type"]);

        await demo.Market.Exchange.FlushAsync();
        var receipt = await demo.Http.GetAsync($"receipts/{r.Header("Entrepot-Request-Id")}");
        Assert.Equal(200, (int)receipt.StatusCode);
        var doc = JsonNode.Parse(await receipt.Content.ReadAsStringAsync())!.AsObject();
        Assert.Null(Receipts.Verify(doc));
        var settled = doc["check"]!["settled"]!;
        // The seller's usage, read from its own format: 21 in (7 of them cached), 9 out (3 reasoning).
        Assert.Equal(21L, (long)settled["input_tokens"]!);
        Assert.Equal(9L, (long)settled["output_tokens"]!);
        Assert.Equal(7L, (long)settled["cached_input_tokens"]!);
        // The buyer got the seller's bytes: no second hash.
        Assert.Null(doc["check"]!["buyer_response_sha256"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(answer))), (string?)doc["receipt"]!["response_sha256"]);
    }

    [Fact]
    public async Task AnIdentifierOnlyInAFieldTheTranslationDrops_KeepsTheBodyFromANativeSellerAbroad()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "sg-native", "SG", native: true);
        using var http = Buyer("responses");
        var r = await http.PostAsync("v1/responses", Json.Body($$$"""
            {"model":"{{{ToolSeller.Model}}}","input":"Hello","metadata":{"owner":"lena.weber@example.de"},"provider":{"only":["sg-native"]}}
            """));
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Contains("You said: Hello", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The whole body would need the address masked: the seller got the translation instead, which
        // leaves metadata out, so the address went nowhere.
        Assert.Empty(seller.NativeReceived);
        var sent = Assert.Single(seller.Received).ToJsonString();
        Assert.DoesNotContain("lena.weber", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnIdentifierInTheMessages_GoesRedactedInTheTranslation_AndComesBackRestored()
    {
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "sg-native-2", "SG", native: true);
        using var http = Buyer("messages");
        http.DefaultRequestHeaders.Add("Entrepot-Provider-Preferences", """{"only":["sg-native-2"]}""");
        var r = await http.PostAsync("v1/messages", Json.Body($$$"""
            {"model":"{{{ToolSeller.Model}}}","max_tokens":32,"messages":[{"role":"user","content":"Write to lena.weber@example.de"}]}
            """));
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("You said: Write to lena.weber@example.de", (await r.ReadJsonAsync()).GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Empty(seller.NativeReceived);
        Assert.Contains("[EMAIL_1]", Assert.Single(seller.Received).ToJsonString(), StringComparison.Ordinal);
    }
}
