using System.Text;
using Entrepot.Core.Protocol.Doors;

namespace Entrepot.Core.Tests.Protocol.Doors;

/// <summary>What the border scans of a door's body a native seller gets, and what the exchange reads
/// of that seller's answer in the door's own format.</summary>
public class NativeDoorTests
{
    [Fact]
    public void DoorBody_ScansEveryStringThatCanCarryData_ImagesUnscanned_StructureSkipped()
    {
        var body = Encoding.UTF8.GetBytes("""
            {"model":"m","instructions":"Be kind.","metadata":{"owner":"lena@example.de"},
             "input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"},{"type":"input_image","image_url":"data:image/png;base64,AAAA","detail":"low"}]},
                      {"type":"reasoning","encrypted_content":"opaque-blob"}]}
            """);
        var content = DoorBody.Read(body);
        Assert.Equal(["Be kind.", "lena@example.de", "Hi", "opaque-blob"], content.Fields.Select(f => f.Text));
        Assert.Single(content.Unscanned);
        // Each field's position is where its JSON string starts and ends in the body.
        foreach (var f in content.Fields)
        {
            Assert.Equal("\"" + f.Text + "\"", Encoding.UTF8.GetString(body, f.Start, f.Length));
        }
    }

    [Fact]
    public void ResponsesWholeAnswer_UsageAndText()
    {
        var a = new NativeAnswer("responses");
        a.ReadWhole("""{"object":"response","output":[{"type":"message","content":[{"type":"output_text","text":"Once"}]},{"type":"function_call","arguments":"{\"q\":1}"}],"usage":{"input_tokens":20,"input_tokens_details":{"cached_tokens":5},"output_tokens":8,"output_tokens_details":{"reasoning_tokens":2}}}"""u8);
        Assert.Equal("Once{\"q\":1}", a.Text);
        Assert.Equal((20L, 8L, 5L, 2L), (a.InputTokens, a.OutputTokens, a.CachedTokens, a.ReasoningTokens));
    }

    [Fact]
    public void MessagesStream_InputFromTheStartPlusCache_OutputFromTheDelta_DoneAtStop()
    {
        var a = new NativeAnswer("messages");
        a.Watch("""{"type":"message_start","message":{"usage":{"input_tokens":14,"cache_read_input_tokens":7,"output_tokens":1}}}"""u8);
        a.Watch("""{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Once"}}"""u8);
        a.Watch("""{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"q\":"}}"""u8);
        Assert.False(a.Done);
        a.Watch("""{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}"""u8);
        a.Watch("""{"type":"message_stop"}"""u8);
        Assert.True(a.Done);
        Assert.Equal("Once{\"q\":", a.Text);
        Assert.Equal((21L, 9L, 7L), (a.InputTokens, a.OutputTokens, a.CachedTokens));
        Assert.Equal(2, a.ContentEvents);
    }
}
