using System.Buffers;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Tests.Protocol;

public class ForwardBodyTests
{
    private static JsonElement Rewrite(string json, bool stream)
    {
        var output = new ArrayBufferWriter<byte>();
        ForwardBody.Write(Encoding.UTF8.GetBytes(json), stream, output);
        return JsonDocument.Parse(output.WrittenMemory).RootElement;
    }

    [Fact]
    public void Write_RemovesProviderObject_KeepsEverythingElseVerbatim()
    {
        var body = Rewrite("""{"model":"m","provider":{"only":["x"]},"messages":[{"role":"user","content":"é \"q\""}],"temperature":0.5}""", stream: false);
        Assert.False(body.TryGetProperty("provider", out _));
        Assert.Equal("m", body.GetProperty("model").GetString());
        Assert.Equal("é \"q\"", body.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal(0.5, body.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public void Write_Stream_AsksSellerForUsage_ReplacingBuyersStreamOptions()
    {
        var body = Rewrite("""{"stream_options":{"include_usage":false},"model":"m","stream":true}""", stream: true);
        Assert.True(body.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.True(body.GetProperty("stream").GetBoolean());
    }

    [Fact]
    public void Write_OnlyProvider_GivesEmptyObject()
    {
        var body = Rewrite("""{"provider":{}}""", stream: false);
        Assert.Equal(JsonValueKind.Object, body.ValueKind);
        Assert.Empty(body.EnumerateObject());
    }
}
