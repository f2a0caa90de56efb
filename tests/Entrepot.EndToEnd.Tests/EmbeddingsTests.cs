using System.ClientModel;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Embeddings;

namespace Entrepot.EndToEnd.Tests;

/// <summary>/v1/embeddings with the official OpenAI .NET client (which asks for base64) against the
/// demo's embedded engine, checked against the same vectors asked for as floats.</summary>
public class EmbeddingsTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    private EmbeddingClient Client() => new OpenAIClient(new ApiKeyCredential(DemoFixture.ApiKey), new OpenAIClientOptions { Endpoint = demo.V1 }).GetEmbeddingClient(demo.Market.ModelName);

    [Fact]
    public async Task OfficialClient_GetsUnitVectors_EqualToTheFloatEncoding()
    {
        var result = await Client().GenerateEmbeddingsAsync(["Once upon a time", "a little cat"]);
        var vectors = result.Value.Select(e => e.ToFloats().ToArray()).ToList();
        Assert.Equal(2, vectors.Count);
        Assert.Equal(vectors[0].Length, vectors[1].Length);
        Assert.True(vectors[0].Length >= 8, $"{vectors[0].Length} dimensions");
        foreach (var v in vectors)
        {
            Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 3);
        }

        Assert.NotEqual(vectors[0], vectors[1]);
        Assert.True(result.Value.Usage.InputTokenCount > 0);

        // The same inputs as JSON floats: the base64 the client decoded is little-endian float32 of the same values.
        var raw = await demo.Http.PostAsync("embeddings", Json.Body($$"""{"model":"{{demo.Market.ModelName}}","input":["Once upon a time","a little cat"],"encoding_format":"float"}"""));
        Assert.Equal(200, (int)raw.StatusCode);
        var data = JsonNode.Parse(await raw.Content.ReadAsStringAsync())!["data"]!.AsArray();
        for (var i = 0; i < 2; i++)
        {
            var floats = data[i]!["embedding"]!.AsArray().Select(x => (float)x!).ToArray();
            Assert.Equal(vectors[i], floats);
        }
    }

    [Fact]
    public async Task TheModelList_SaysWhichOffersServeEmbeddings()
    {
        var model = await demo.Http.GetStringAsync($"models/{demo.Market.ModelName}");
        var offers = JsonNode.Parse(model)!["providers"]!.AsArray();
        Assert.Equal(4, offers.Count);
        Assert.All(offers, o => Assert.True((bool)o!["embeddings"]!));
    }

    [Theory]
    [InlineData("""{"model":"MODEL","input":""}""", 400, "input")]
    [InlineData("""{"model":"MODEL","input":["a",""]}""", 400, "input[1]")]
    [InlineData("""{"model":"MODEL","input":"a","encoding_format":"hex"}""", 400, "encoding_format")]
    [InlineData("""{"model":"MODEL","input":"a","dimensions":8}""", 400, "dimensions")]
    [InlineData("""{"model":"MODEL","input":"a","stream":true}""", 400, "stream")]
    [InlineData("""{"model":"MODEL","input":[[1,2],"a"]}""", 400, "input")]
    [InlineData("""{"model":"MODEL","input":[{"text":"a"}]}""", 400, "input[0]")]
    [InlineData("""{"model":"nope","input":"a"}""", 404, "model")]
    public async Task BadRequests_AreRefusedNamingTheField(string body, int status, string param)
    {
        var r = await demo.Http.PostAsync("embeddings", Json.Body(body.Replace("MODEL", demo.Market.ModelName, StringComparison.Ordinal)));
        Assert.Equal(status, (int)r.StatusCode);
        Assert.Equal(param, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task AnIdentifierInAnInput_IsRedactedBeforeItCrosses()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var sg = demo.Market.Nodes["sg-singapore"];
        sg.OnRequest = (_, body) => seen.Enqueue(System.Text.Encoding.UTF8.GetString(body));
        try
        {
            var r = await demo.Http.PostAsync("embeddings", Json.Body($$$"""
                {"model":"{{{demo.Market.ModelName}}}","input":["Write to lena.weber@example.de"],"provider":{"only":["sg-singapore"]}}
                """));
            Assert.Equal(200, (int)r.StatusCode);
            Assert.StartsWith("verdict=redact; class=personal", r.Header("Entrepot-Policy"), StringComparison.Ordinal);
            var body = Assert.Single(seen);
            Assert.DoesNotContain("lena.weber", body, StringComparison.Ordinal);
            Assert.Contains("[EMAIL_1]", body, StringComparison.Ordinal);
        }
        finally
        {
            sg.OnRequest = null;
        }
    }
}
