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

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(6)]
    public void Hasher_TakesEverySellerByteButTheReceiptEvent_HoweverTheReadsSplitThem(int receiptAt)
    {
        const string receipt = "event: entrepot.receipt\ndata: {\"request_id\":\"r1\",\"signature\":\"abc\"}\n\n";
        var events = new List<string> { Content, Content.Replace("Once", "upon"), Content.Replace("Once", "a"), Content.Replace("Once", "time"), UsageChunk, Done };
        var expected = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(events)));
        events.Insert(Math.Min(receiptAt, events.Count), receipt);
        var stream = Encoding.UTF8.GetBytes(string.Concat(events));

        var random = new Random(receiptAt);
        foreach (var split in new[] { "whole", "bytes", "random", "random", "random" })
        {
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var relay = new SseRelay(forwardUsageChunk: false) { Hasher = hash };
            var output = new ArrayBufferWriter<byte>();
            for (int at = 0; at < stream.Length;)
            {
                var n = split switch { "whole" => stream.Length, "bytes" => 1, _ => random.Next(1, 90) };
                n = Math.Min(n, stream.Length - at);
                relay.Process(stream.AsSpan(at, n), output);
                at += n;
            }

            relay.Complete(output);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(hash.GetHashAndReset()));
            Assert.Contains("r1", relay.Receipt);
            Assert.DoesNotContain("entrepot.receipt", Encoding.UTF8.GetString(output.WrittenSpan));
        }
    }
}
