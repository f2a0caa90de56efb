using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Border.Redaction;
using Entrepot.Core.Border.Scanning;
using Entrepot.Core.Protocol;
using Entrepot.Core.Tests.Border;

namespace Entrepot.Core.Tests.Protocol;

/// <summary>
/// The request reader finds the buyer's data wherever the API lets a buyer put it; the redactor
/// replaces it there and nowhere else; the restorer puts it back in every text of the answer.
/// </summary>
public class RequestFieldsTests
{
    private const string Email = "jane.doe@example.com";

    /// <summary>One request per data-bearing field, each holding <see cref="Email"/> (written @@) there only.</summary>
    public static TheoryData<string, string, string> Corpus => new()
    {
        { "content string", "chat", """{"model":"m","messages":[{"role":"user","content":"mail @@"}]}""" },
        { "text part", "chat", """{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"mail @@"}]}]}""" },
        { "message name", "chat", """{"model":"m","messages":[{"role":"user","name":"@@","content":"hi"}]}""" },
        { "tool call arguments", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"send","arguments":"{\"to\":\"@@\"}"}}]},{"role":"tool","tool_call_id":"c1","content":"sent"}]}""" },
        { "legacy function call", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","function_call":{"name":"send","arguments":"{\"to\":\"@@\"}"}},{"role":"function","name":"send","content":"ok"}]}""" },
        { "tool description", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"send","description":"Mails @@","parameters":{"type":"object"}}}]}""" },
        { "tool parameter schema", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"send","parameters":{"type":"object","properties":{"to":{"type":"string","default":"@@"}}}}}]}""" },
        { "legacy functions", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"functions":[{"name":"send","description":"for @@"}]}""" },
        { "user", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"user":"@@"}""" },
        { "metadata value", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"metadata":{"customer":"@@"}}""" },
        { "response format schema", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","description":"about @@"}}}}""" },
        { "prediction", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"prediction":{"type":"content","content":"Dear @@"}}""" },
        { "refusal", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","refusal":"not for @@"}]}""" },
        { "unknown part", "chat", """{"model":"m","messages":[{"role":"user","content":[{"type":"note","note":{"by":"@@"}}]}]}""" },
        { "unknown message field", "chat", """{"model":"m","messages":[{"role":"user","content":"hi","extra":"@@"}]}""" },
        { "unknown top-level field", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"x_context":["@@"]}""" },
        { "remote image URL", "chat", """{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://img.example.org/?who=@@"}}]}]}""" },
        { "file name", "chat", """{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"filename":"scan for @@ (1).pdf","file_data":"data:application/pdf;base64,AAAA"}}]}]}""" },
        { "stop sequence", "chat", """{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["@@"]}""" },
        { "prompt", "completions", """{"model":"m","prompt":"mail @@"}""" },
        { "prompt array", "completions", """{"model":"m","prompt":["a","mail @@"]}""" },
        { "suffix", "completions", """{"model":"m","prompt":"a","suffix":"to @@"}""" },
        { "completions user", "completions", """{"model":"m","prompt":"a","user":"@@"}""" },
    };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void EveryFieldIsFound_Redacted_AndTheRestIsLeftAsSent(string field, string kind, string template)
    {
        var json = template.Replace("@@", Email, StringComparison.Ordinal);
        var body = Encoding.UTF8.GetBytes(json);
        var k = kind == "chat" ? EndpointKind.ChatCompletions : EndpointKind.Completions;
        var request = InferenceRequestParser.Parse(body, k, out var error);
        Assert.True(request is not null, $"{field}: {error}");
        var found = request.Content.Fields.Where(f => Scanner.Scan(f.Text).Any(e => e.Type == EntityType.Email)).ToList();
        Assert.True(found.Count == 1, $"{field}: the email was found in {found.Count} fields");
        // The field's position is its JSON string token in the body.
        Assert.Equal((byte)'"', body[found[0].Start]);
        Assert.Equal((byte)'"', body[found[0].Start + found[0].Length - 1]);

        var redacted = RedactionTests.Redact(body, request.Content, stream: false);
        var sent = Encoding.UTF8.GetString(redacted);
        Assert.DoesNotContain("jane.doe", sent, StringComparison.Ordinal);
        Assert.Contains("[EMAIL_1]", sent, StringComparison.Ordinal);
        // Still a request of the same shape: everything but the email as the buyer sent it.
        var expected = JsonNode.Parse(json.Replace(Email, "[EMAIL_1]", StringComparison.Ordinal))!.AsObject();
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(redacted)), $"{field}: {sent}");
    }

    [Fact]
    public void FieldsAreNamedByKind_AndContentTextsFormTheMessages()
    {
        var r = Parse("""
            {"model":"m","user":"u1","metadata":{"k":"v"},"messages":[
              {"role":"system","content":"Be brief."},
              {"role":"user","name":"ann","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]}],
             "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]}
            """);
        var kinds = r.Content.Fields.Select(f => (f.Kind, f.Text)).ToList();
        Assert.Contains((FieldKind.User, "u1"), kinds);
        Assert.Contains((FieldKind.Metadata, "v"), kinds);
        Assert.DoesNotContain((FieldKind.Metadata, "k"), kinds); // a metadata key is the developer's, not the data
        Assert.Contains((FieldKind.Name, "ann"), kinds);
        Assert.Contains((FieldKind.ToolArguments, "{}"), kinds);
        Assert.Contains((FieldKind.ToolDefinition, "d"), kinds);
        Assert.DoesNotContain(kinds, f => f.Text is "f" or "c" or "function" or "m"); // names, ids and types are structure
        Assert.Equal(["Be brief.", "a", "b"], r.Content.Texts);
        Assert.Equal([new PromptMessage("system", 0, 1), new PromptMessage("user", 1, 2, "ann"), new PromptMessage("assistant", 3, 0)], r.Content.Messages);
        Assert.Equal("a\nb", r.Content.ContentOf(r.Content.Messages[1]));
    }

    [Fact]
    public void ImagesAudioAndFiles_AreMarkedUnscanned_NeverRead()
    {
        var r = Parse("""
            {"model":"m","messages":[{"role":"user","content":[
              {"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},
              {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
              {"type":"file","file":{"file_id":"file-1"}}]},
             {"role":"assistant","audio":{"id":"audio_1"}}]}
            """);
        Assert.Equal([new UnscannedPart("image_url", 0), new UnscannedPart("input_audio", 0), new UnscannedPart("file", 0), new UnscannedPart("audio", 1)], r.Content.Unscanned);
        Assert.DoesNotContain(r.Content.Fields, f => f.Text.Contains("base64", StringComparison.Ordinal) || f.Text.Contains("UklGRg", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"admin","content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":7,"content":"x"}]}""", "messages[0].role")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"},{"role":"user","content":5}]}""", "messages[1].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":["x"]}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","name":3,"content":"x"}]}""", "messages[0].name")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3}""", "temperature")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"top_p":"high"}""", "top_p")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"n":0}""", "n")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"seed":1.5}""", "seed")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"stop":[1]}""", "stop")]
    public void AWrongField_IsNamed(string json, string param)
    {
        Assert.Null(InferenceRequestParser.Parse(Encoding.UTF8.GetBytes(json), EndpointKind.ChatCompletions, out var error));
        Assert.Equal(param, error!.Param);
    }

    [Fact]
    public void InvalidUtf8_AndTrailingValues_AreRefusedWithoutThrowing()
    {
        var bad = Encoding.UTF8.GetBytes("""{"model":"m","messages":[{"role":"user","content":"x"}],"logit_bias":{"AB":1}}""");
        bad[Array.IndexOf(bad, (byte)'A')] = 0xC3; // a lead byte followed by an ASCII one: not UTF-8
        Assert.Null(InferenceRequestParser.Parse(bad, EndpointKind.ChatCompletions, out var error));
        Assert.Equal("invalid_encoding", error!.Code);

        Assert.Null(InferenceRequestParser.Parse("""{"model":"m","messages":[{"role":"user","content":"x"}]} {}"""u8, EndpointKind.ChatCompletions, out error));
        Assert.Equal("invalid_json", error!.Code);
    }

    [Fact]
    public void RestoresToolCallArgumentsWhole_WithTheOriginalEscapedAsJson()
    {
        var pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----";
        var mapping = new Dictionary<string, string> { ["[EMAIL_1]"] = Email, ["[SECRET_1]"] = pem };
        var answer = """
            {"id":"x","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,
             "tool_calls":[{"id":"c","type":"function","function":{"name":"send","arguments":"{\"to\":\"[EMAIL_1]\",\"key\":\"[SECRET_1]\"}"}}]}}]}
            """u8;
        var restored = JsonNode.Parse(new AnswerRestorer(mapping).RestoreWhole(answer))!;
        var arguments = JsonNode.Parse((string)restored["choices"]![0]!["message"]!["tool_calls"]![0]!["function"]!["arguments"]!)!;
        Assert.Equal(Email, (string)arguments["to"]!);
        Assert.Equal(pem, (string)arguments["key"]!); // the newlines went back escaped: the arguments are still JSON
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void RestoresToolCallArgumentsStreamedInPieces(int pieceLength)
    {
        var mapping = new Dictionary<string, string> { ["[EMAIL_1]"] = Email, ["[PHONE_1]"] = "+1 415 555 0132" };
        var args = """{"to":"[EMAIL_1]","cc":"[PHONE_1]"}""";
        var restorer = new AnswerRestorer(mapping);
        var output = new StringBuilder();
        output.Append(Encoding.UTF8.GetString(restorer.PushStream(Event("""{"index":0,"id":"c","type":"function","function":{"name":"send","arguments":""}}"""))));
        for (var i = 0; i < args.Length; i += pieceLength)
        {
            var piece = args.Substring(i, Math.Min(pieceLength, args.Length - i));
            var call = new JsonObject { ["index"] = 0, ["function"] = new JsonObject { ["arguments"] = piece } };
            output.Append(Encoding.UTF8.GetString(restorer.PushStream(Event(call.ToJsonString()))));
        }

        output.Append(Encoding.UTF8.GetString(restorer.PushStream("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\ndata: [DONE]\n\n"u8)));
        output.Append(Encoding.UTF8.GetString(restorer.CompleteStream()));

        var joined = new StringBuilder();
        foreach (var line in output.ToString().Split('\n'))
        {
            if (line.StartsWith("data: {", StringComparison.Ordinal) && JsonNode.Parse(line[6..])!["choices"]![0]!["delta"]!["tool_calls"] is JsonArray calls)
            {
                foreach (var c in calls)
                {
                    joined.Append((string?)c!["function"]?["arguments"]);
                }
            }
        }

        Assert.Equal($$"""{"to":"{{Email}}","cc":"+1 415 555 0132"}""", joined.ToString());
        Assert.Contains("[DONE]", output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Mutated bodies (bytes flipped, cut, duplicated, spliced from other requests): the reader
    /// never throws; when it accepts a body, every field it reports is a JSON string token at that
    /// position holding that text, and the redacted body is one JSON object without the original values.</summary>
    [Fact]
    public void MutatedBodies_NeverThrow_AndAcceptedOnesRedactToValidJson()
    {
        var corpus = Corpus.Select(row => Encoding.UTF8.GetBytes(((string)row[2]).Replace("@@", Email, StringComparison.Ordinal))).ToArray();
        var random = new Random(20261203);
        var accepted = 0;
        for (var i = 0; i < 3000; i++)
        {
            var body = (byte[])corpus[random.Next(corpus.Length)].Clone();
            var list = body.ToList();
            for (var m = random.Next(1, 4); m > 0 && list.Count > 0; m--)
            {
                var at = random.Next(list.Count);
                switch (random.Next(4))
                {
                    case 0: list[at] = (byte)random.Next(256); break;
                    case 1: list.RemoveRange(at, Math.Min(random.Next(1, 8), list.Count - at)); break;
                    case 2: list.InsertRange(at, list.GetRange(at, Math.Min(random.Next(1, 16), list.Count - at))); break;
                    default: list.InsertRange(at, corpus[random.Next(corpus.Length)].Take(random.Next(1, 40))); break;
                }
            }

            body = [.. list];
            var kind = random.Next(2) == 0 ? EndpointKind.ChatCompletions : EndpointKind.Completions;
            var request = InferenceRequestParser.Parse(body, kind, out var error);
            if (request is null)
            {
                Assert.NotNull(error);
                continue;
            }

            accepted++;
            foreach (var f in request.Content.Fields)
            {
                var token = new Utf8JsonReader(body.AsSpan(f.Start, f.Length));
                Assert.True(token.Read() && token.TokenType == JsonTokenType.String, $"field at {f.Start} is not a string token");
                Assert.Equal(f.Text, token.GetString());
            }

            var redacted = RedactionTests.Redact(body, request.Content, stream: random.Next(2) == 0);
            Assert.IsType<JsonObject>(JsonNode.Parse(redacted));
            Assert.NotNull(InferenceRequestParser.Parse(redacted, kind, out _));
        }

        Assert.True(accepted > 100, $"only {accepted} mutated bodies were accepted: the test exercised too little");
    }

    private static ReadOnlySpan<byte> Event(string call) =>
        Encoding.UTF8.GetBytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[" + call + "]},\"finish_reason\":null}]}\n\n");

    private static InferenceRequest Parse(string json)
    {
        var r = InferenceRequestParser.Parse(Encoding.UTF8.GetBytes(json), EndpointKind.ChatCompletions, out var error);
        Assert.True(r is not null, error?.Message);
        return r;
    }
}
