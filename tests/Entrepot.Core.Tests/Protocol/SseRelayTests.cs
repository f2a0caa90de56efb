using System.Buffers;
using System.Text;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Tests.Protocol;

public class SseRelayTests
{
    private const string Content = "data: {\"choices\":[{\"delta\":{\"content\":\"Once\"}}],\"usage\":null}\n\n";
    private const string UsageChunk = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n";
    private const string Done = "data: [DONE]\n\n";

    private static string Relay(bool forwardUsage, IEnumerable<string> reads, out SseRelay relay)
    {
        relay = new SseRelay(forwardUsage);
        var output = new ArrayBufferWriter<byte>();
        foreach (var r in reads)
        {
            relay.Process(Encoding.UTF8.GetBytes(r), output);
        }

        relay.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    [Fact]
    public void Process_ReadsUsage_DropsUsageChunkBuyerDidNotAskFor()
    {
        var text = Relay(false, [Content + UsageChunk + Done], out var relay);
        Assert.Equal(Content + Done, text);
        Assert.True(relay.SawUsage);
        Assert.True(relay.SawDone);
        Assert.Equal(7, relay.PromptTokens);
        Assert.Equal(3, relay.CompletionTokens);
    }

    [Fact]
    public void Process_KeepsUsageChunk_WhenBuyerAskedForIt()
    {
        Assert.Equal(Content + UsageChunk + Done, Relay(true, [Content, UsageChunk, Done], out var relay));
        Assert.Equal(10, relay.PromptTokens + relay.CompletionTokens);
    }

    [Fact]
    public void Process_EventsSplitAtEveryByte_SameResult()
    {
        var all = Content + UsageChunk + Done;
        var pieces = all.Select(c => c.ToString()).ToList();
        Assert.Equal(Content + Done, Relay(false, pieces, out var relay));
        Assert.Equal(3, relay.CompletionTokens);
    }

    [Fact]
    public void Process_CrLfSeparators_Recognised()
    {
        var crlf = "data: {\"a\":1}\r\n\r\n" + "data: [DONE]\r\n\r\n";
        Assert.Equal(crlf, Relay(false, [crlf], out var relay));
        Assert.True(relay.SawDone);
    }

    [Fact]
    public void Complete_FlushesUnterminatedTail()
    {
        Assert.Equal("data: partial", Relay(false, ["data: partial"], out var relay));
        Assert.False(relay.SawDone);
    }
}
