using System.Text;
using Entrepot.Core.Protocol;
using Entrepot.Exporter.Engines;

namespace Entrepot.Exporter.Tests;

/// <summary>The embedded engine generates text from text: what it cannot honour is refused with the
/// parameter named, never silently ignored.</summary>
public class GenerationRequestReaderTests
{
    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", "tools")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"functions":[{"name":"f"}]}""", "tools")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"https://example.org/a.png"}}]}]}""", "messages[0].content")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object"}}}}""", "response_format")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}""", "response_format")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}""", "n")]
    public void WhatTheEngineCannotDo_IsRefusedNamingTheParameter(string body, string param)
    {
        Assert.Null(GenerationRequestReader.Read(Encoding.UTF8.GetBytes(body), EndpointKind.ChatCompletions, out var error));
        Assert.Equal(param, error!.Param);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"text"}}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[]}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"json_schema":{"type":"object"},"type":"text"}}""")]
    public void PlainTextRequests_AreServed(string body) =>
        Assert.NotNull(GenerationRequestReader.Read(Encoding.UTF8.GetBytes(body), EndpointKind.ChatCompletions, out _));
}
