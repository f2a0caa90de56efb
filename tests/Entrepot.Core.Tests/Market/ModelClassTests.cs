using Entrepot.Core.Market;

namespace Entrepot.Core.Tests.Market;

public class ModelClassTests
{
    [Theory]
    [InlineData("stories260K", "tiny")]
    [InlineData("qwen2.5-1.5b-instruct", "tiny")]
    [InlineData("Qwen2.5-7B-Instruct", "small")]
    [InlineData("llama-3.3-70b", "medium")]
    [InlineData("Meta-Llama-3.1-405B", "large")]
    [InlineData("mixtral-8x22b", "medium")]
    [InlineData("gpt-4o-mini", "unsized")]
    [InlineData("deepseek-v3", "unsized")]
    [InlineData("llama-3.1-8b-instruct-128k", "small")]
    public void Of_ReadsTheParameterCount(string model, string expected) => Assert.Equal(expected, ModelClass.Of(model));
}
