using System.Text;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Tests.Protocol;

public sealed class CompletionTextTests
{
    [Fact]
    public void AWholeResponse_GivesEveryChoicesText_InOrder_AndItsLength()
    {
        var body = """{"choices":[{"index":0,"message":{"role":"assistant","content":"Grüße, "}},{"index":1,"text":"world"}],"usage":{"prompt_tokens":3}}"""u8;
        Assert.Equal("Grüße, world", CompletionText.Extract(body));
        Assert.Equal(Encoding.UTF8.GetByteCount("Grüße, world"), CompletionText.Utf8Length(body));
    }

    [Fact]
    public void ABodyThatStopsBeingJson_CountsWhatWasReadBefore()
    {
        var body = """{"choices":[{"message":{"content":"kept"}},{"message":{"content":"lost"""u8;
        Assert.Equal("kept", CompletionText.Extract(body));
        Assert.Equal(4, CompletionText.Utf8Length(body));
        Assert.Equal("", CompletionText.Extract("not json"u8));
    }

    [Fact]
    public void StreamDeltas_AreAppended_ANullContentAddsNothing()
    {
        var text = new StringBuilder("one");
        CompletionText.AppendDeltas("""{"choices":[{"delta":{"content":" two"}}]}"""u8, text);
        CompletionText.AppendDeltas("""{"choices":[{"delta":{"content":null}}]}"""u8, text);
        Assert.Equal("one two", text.ToString());
    }

    [Fact]
    public void Only_content_and_text_properties_count_not_the_same_words_elsewhere()
    {
        // An escaped key inside a string, "text" as a value, parts arrays, whitespace around the colon,
        // escapes in the value: taken as a JSON reader would take them.
        var body = """
            {"choices":[{"message":{"role":"assistant","content" : "a\"b",
              "tool_calls":[{"function":{"arguments":"{\"content\":\"not this\",\"text\":\"nor this\"}"}}]}},
              {"message":{"content":[{"type":"text","text":"\u00e9t\u00e9"}]}},
              {"note":"say \"text\": \"no\"","text":null,"content":42}]}
            """u8;
        Assert.Equal("a\"b" + "été", CompletionText.Extract(body));
    }

    [Fact]
    public void Agrees_with_a_full_json_read_on_generated_responses()
    {
        var random = new Random(5);
        var escapedQuotes = 0;
        string[] words = ["content", "text", "\"content\"", "\"text\":\"", "é", "\\", " ", "x", "{", "}", ":"];
        for (var i = 0; i < 500; i++)
        {
            var node = new System.Text.Json.Nodes.JsonObject();
            var choices = new System.Text.Json.Nodes.JsonArray();
            for (var c = random.Next(1, 4); c > 0; c--)
            {
                var value = string.Concat(Enumerable.Range(0, random.Next(0, 6)).Select(_ => words[random.Next(words.Length)]));
                var message = new System.Text.Json.Nodes.JsonObject { ["role"] = "assistant", ["note"] = value };
                if (random.Next(2) == 0)
                {
                    message["content"] = value + "!";
                }
                else
                {
                    message["text"] = value;
                }

                choices.Add(new System.Text.Json.Nodes.JsonObject { ["message"] = message, ["type"] = "text" });
            }

            node["choices"] = choices;
            // Relaxed escaping writes quotes as \" (the default writes \u0022), the case that matters here.
            var json = Encoding.UTF8.GetBytes(node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            escapedQuotes += json.AsSpan().IndexOf("\\\""u8) >= 0 ? 1 : 0;
            Assert.Equal(FullRead(json), CompletionText.Extract(json));
        }

        Assert.True(escapedQuotes > 100, $"only {escapedQuotes} generated bodies had an escaped quote");
    }

    [Fact]
    public void A_seller_body_of_many_choices_is_read_whole()
    {
        // 100,000 choices with content and a last one with text: each name is found once, in one pass.
        var body = new StringBuilder("{\"choices\":[");
        for (var i = 0; i < 100_000; i++)
        {
            body.Append("{\"message\":{\"content\":\"a\"}},");
        }

        body.Append("{\"text\":\"b\"}]}");
        var json = Encoding.UTF8.GetBytes(body.ToString());
        Assert.Equal(new string('a', 100_000) + "b", CompletionText.Extract(json));
        Assert.Equal(FullRead(json), CompletionText.Extract(json));
    }

    private static string FullRead(byte[] json)
    {
        var text = new StringBuilder();
        var reader = new System.Text.Json.Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.TokenType == System.Text.Json.JsonTokenType.PropertyName && (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8))
                && reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.String)
            {
                text.Append(reader.GetString());
            }
        }

        return text.ToString();
    }
}
