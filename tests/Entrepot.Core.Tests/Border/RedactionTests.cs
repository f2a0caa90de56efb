using System.Text;
using Entrepot.Core.Border.Redaction;
using Entrepot.Core.Border.Scanning;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Tests.Border;

public class RedactionTests
{
    [Fact]
    public void SameValueSamePlaceholder_NothingOriginalLeaves()
    {
        string[] texts = ["Mail Jane.Doe@example.com or call +49 30 1234567.", "Again: jane.doe@example.com, not bob@example.org"];
        var p = new Pseudonymiser(texts);
        var redacted = texts.Select(t => p.Redact(t, Scanner.Scan(t))).ToArray();
        Assert.Equal("Mail [EMAIL_1] or call [PHONE_1].", redacted[0]);
        Assert.Equal("Again: [EMAIL_1], not [EMAIL_2]", redacted[1]);
        Assert.DoesNotContain("example", string.Concat(redacted), StringComparison.Ordinal);
        Assert.Equal(4, p.Total);
        Assert.Equal(3, p.Mapping.Count);
    }

    [Fact]
    public void PlaceholderAlreadyInTheBuyersTextIsNotReused()
    {
        string[] texts = ["Template uses [EMAIL_1]; real one is a@example.com"];
        var p = new Pseudonymiser(texts);
        var r = p.Redact(texts[0], Scanner.Scan(texts[0]));
        Assert.Equal("Template uses [EMAIL_1]; real one is [EMAIL_2]", r);
        Assert.Equal("Template uses [EMAIL_1]; real one is a@example.com", new PlaceholderRestorer(p.Mapping).Restore(r));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void RestoresPlaceholdersSplitAcrossPieces(int pieceLength)
    {
        var mapping = new Dictionary<string, string> { ["[EMAIL_1]"] = "jane@example.com", ["[PHONE_12]"] = "+1 415 555 0132" };
        const string answer = "Write to [EMAIL_1] or ring [PHONE_12]; [not a placeholder] and [EMAIL_9] stay. [";
        var r = new PlaceholderRestorer(mapping);
        var sb = new StringBuilder();
        for (int i = 0; i < answer.Length; i += pieceLength)
        {
            sb.Append(r.Push(answer.Substring(i, Math.Min(pieceLength, answer.Length - i))));
        }

        sb.Append(r.Flush());
        Assert.Equal("Write to jane@example.com or ring +1 415 555 0132; [not a placeholder] and [EMAIL_9] stay. [", sb.ToString());
        Assert.Equal(2, r.Restored);
    }

    [Fact]
    public void RestoresAStreamWhosePlaceholderSpansEvents()
    {
        var mapping = new Dictionary<string, string> { ["[EMAIL_1]"] = "jane@example.com" };
        var restorer = new AnswerRestorer(mapping);
        string[] deltas = ["Hello ", "[EM", "AIL_", "1]", "!"];
        var stream = new StringBuilder();
        for (int i = 0; i < deltas.Length; i++)
        {
            stream.Append("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"").Append(deltas[i]).Append("\"},\"finish_reason\":null}]}\n\n");
        }

        stream.Append("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
        var bytes = Encoding.UTF8.GetBytes(stream.ToString());
        var output = new List<byte>();
        for (int i = 0; i < bytes.Length; i += 11)
        {
            output.AddRange(restorer.PushStream(bytes.AsSpan(i, Math.Min(11, bytes.Length - i))));
        }

        output.AddRange(restorer.CompleteStream());
        var text = Encoding.UTF8.GetString(output.ToArray());
        var contents = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.StartsWith("data: {", StringComparison.Ordinal))
            .Select(l => System.Text.Json.JsonDocument.Parse(l[6..]).RootElement.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var c) ? c.GetString() : "");
        Assert.Equal("Hello jane@example.com!", string.Concat(contents));
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.Equal(1, restorer.Restored);
    }

    [Fact]
    public void RestoresAWholeResponse()
    {
        var restorer = new AnswerRestorer(new Dictionary<string, string> { ["[IBAN_1]"] = "DE89370400440532013000" });
        var body = """{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Paid to [IBAN_1]."},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"""u8;
        var restored = Encoding.UTF8.GetString(restorer.RestoreWhole(body));
        Assert.Contains("Paid to DE89370400440532013000.", restored, StringComparison.Ordinal);
        Assert.Contains("\"completion_tokens\":4", restored, StringComparison.Ordinal);
    }

    [Fact]
    public void RedactedBodyReplacesEveryTextAndDropsTheProviderObject()
    {
        var body = """{"model":"m","provider":{"sort":"price"},"stream":true,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"I am a@example.com"},{"type":"image_url","image_url":{"url":"x"}}]}]}"""u8.ToArray();
        var content = InferenceRequestParser.Parse(body, EndpointKind.ChatCompletions, out _)!.Content;
        Assert.Equal(["Be brief.", "I am a@example.com"], content.Texts);
        var json = Encoding.UTF8.GetString(Redact(body, content));
        Assert.Contains("I am [EMAIL_1]", json, StringComparison.Ordinal);
        Assert.DoesNotContain("a@example.com", json, StringComparison.Ordinal);
        Assert.DoesNotContain("provider", json, StringComparison.Ordinal);
        Assert.Contains("\"include_usage\":true", json, StringComparison.Ordinal);
        Assert.Contains("image_url", json, StringComparison.Ordinal);
    }

    /// <summary>Every data field with what the scanner found in it replaced, as the border does for a redact verdict.</summary>
    internal static byte[] Redact(byte[] body, PromptContent content, bool stream = true)
    {
        var p = new Pseudonymiser(content.Fields.Select(f => f.Text).ToList());
        var redacted = content.Fields.Select(f => Scanner.Scan(f.Text) is { Count: > 0 } found ? p.Redact(f.Text, found) : null).ToList();
        return RedactedBody.Write(body, content.Fields, redacted, stream);
    }
}
