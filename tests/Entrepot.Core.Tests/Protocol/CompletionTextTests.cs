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
}
