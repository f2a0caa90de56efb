using System.Text;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;

namespace Entrepot.Core.Tests.Protocol;

public class InferenceRequestParserTests
{
    private static InferenceRequest? Parse(string json, out RequestError? error, EndpointKind kind = EndpointKind.ChatCompletions) =>
        InferenceRequestParser.Parse(Encoding.UTF8.GetBytes(json), kind, out error);

    [Fact]
    public void Parse_FullRequest_ReadsRoutingFields()
    {
        var r = Parse("""
            {"model":"m","messages":[{"role":"user","content":"hello"}],"stream":true,
             "stream_options":{"include_usage":true},"max_tokens":12,"temperature":0.2,
             "provider":{"order":["a","b"],"only":["a","b","c"],"ignore":["d"],"allow_fallbacks":false,
                         "sort":"latency","max_price":{"prompt":1.5,"completion":2},"jurisdictions":["SG"],
                         "exclude_jurisdictions":["CN"],"data_collection":"deny"}}
            """, out var error);
        Assert.Null(error);
        Assert.NotNull(r);
        Assert.Equal("m", r.Model);
        Assert.True(r.Stream);
        Assert.True(r.IncludeUsage);
        Assert.Equal(12, r.MaxTokens);
        Assert.Equal(5, r.PromptTextBytes);
        Assert.True(r.HasProviderObject);
        var p = r.Preferences;
        Assert.Equal(["a", "b"], p.Order);
        Assert.Equal(["a", "b", "c"], p.Only!);
        Assert.Equal(["d"], p.Ignore);
        Assert.False(p.AllowFallbacks);
        Assert.Equal(SortBy.Latency, p.Sort);
        Assert.Equal(1.5m, p.MaxPromptPrice);
        Assert.Equal(2m, p.MaxCompletionPrice);
        Assert.Equal(["SG"], p.Jurisdictions!);
        Assert.Equal(["CN"], p.ExcludeJurisdictions);
    }

    [Theory]
    [InlineData("", null, "invalid_json")]
    [InlineData("{", null, "invalid_json")]
    [InlineData("[1,2]", null, "invalid_json")]
    [InlineData("\"text\"", null, "invalid_json")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}", "model", "invalid_request")]
    [InlineData("{\"model\":5,\"messages\":[]}", "model", "invalid_request")]
    [InlineData("{\"model\":\"m\"}", "messages", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[]}", "messages", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":\"hi\"}", "messages", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[42]}", "messages[0]", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}", "messages[0].role", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":\"yes\"}", "stream", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":0}", "max_tokens", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"max_tokens\":1.5}", "max_tokens", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"provider\":[]}", "provider", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"provider\":{\"order\":\"a\"}}", "provider.order", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"provider\":{\"sort\":\"cheap\"}}", "provider.sort", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"provider\":{\"allow_fallbacks\":1}}", "provider.allow_fallbacks", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"provider\":{\"max_price\":{\"prompt\":-1}}}", "provider.max_price.prompt", "invalid_request")]
    [InlineData("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream_options\":{\"include_usage\":\"y\"}}", "stream_options.include_usage", "invalid_request")]
    public void Parse_BadInput_NamesTheField(string json, string? param, string code)
    {
        var r = Parse(json, out var error);
        Assert.Null(r);
        Assert.NotNull(error);
        Assert.Equal(param, error.Param);
        Assert.Equal(code, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Parse_Completions_NeedsPrompt()
    {
        Assert.Null(Parse("{\"model\":\"m\"}", out var error, EndpointKind.Completions));
        Assert.Equal("prompt", error!.Param);
        Assert.NotNull(Parse("{\"model\":\"m\",\"prompt\":\"Once\"}", out _, EndpointKind.Completions));
    }

    [Fact]
    public void Parse_DeepNesting_IsAnErrorNotACrash()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        Assert.Null(Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + deep + "}]}", out var error));
        Assert.Equal("invalid_json", error!.Code);
    }

    [Fact]
    public void NeedsRewrite_OnlyForProviderObjectOrStreamWithoutUsage()
    {
        Assert.False(Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}", out _)!.NeedsRewrite);
        Assert.True(Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":true}", out _)!.NeedsRewrite);
        Assert.False(Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}", out _)!.NeedsRewrite);
        Assert.True(Parse("{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"provider\":{}}", out _)!.NeedsRewrite);
    }
}
