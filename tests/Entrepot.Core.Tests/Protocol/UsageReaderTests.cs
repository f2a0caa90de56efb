using System.Text;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Tests.Protocol;

public class UsageReaderTests
{
    [Theory]
    [InlineData("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"usage\"}}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":22,\"total_tokens\":33}}", 11, 22)]
    [InlineData("{\"usage\":{\"completion_tokens\":5,\"prompt_tokens\":4,\"prompt_tokens_details\":{\"cached_tokens\":1}}}", 4, 5)]
    public void TryRead_FindsTopLevelUsage(string json, long prompt, long completion)
    {
        Assert.True(UsageReader.TryRead(Encoding.UTF8.GetBytes(json), out var p, out var c));
        Assert.Equal(prompt, p);
        Assert.Equal(completion, c);
    }

    [Theory]
    [InlineData("{\"usage\":null}")]
    [InlineData("{\"choices\":[]}")]
    [InlineData("not json")]
    [InlineData("{\"usage\":{\"prompt_tokens\":\"many\"}}")]
    [InlineData("")]
    public void TryRead_NoUsableUsage_ReturnsFalse(string json)
    {
        Assert.False(UsageReader.TryRead(Encoding.UTF8.GetBytes(json), out _, out _));
    }
}

public class UsageDetailsTests
{
    [Fact]
    public void CachedAndReasoningTokens_AreReadFromTheirDetails_ZeroWhenAbsent()
    {
        var json = """{"usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,"prompt_tokens_details":{"audio_tokens":0,"cached_tokens":400},"completion_tokens_details":{"reasoning_tokens":150,"accepted_prediction_tokens":0}}}"""u8;
        Assert.True(UsageReader.TryRead(json, out var p, out var c, out var cached, out var reasoning));
        Assert.Equal((1000L, 200L, 400L, 150L), (p, c, cached, reasoning));

        Assert.True(UsageReader.TryRead("""{"usage":{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":null}}"""u8, out _, out _, out cached, out reasoning));
        Assert.Equal((0L, 0L), (cached, reasoning));
        Assert.True(UsageReader.TryRead("""{"usage":{"prompt_tokens":5,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":-3}}}"""u8, out _, out _, out cached, out _));
        Assert.Equal(0L, cached);
    }
}
