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
