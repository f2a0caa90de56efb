using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;

namespace Entrepot.Exporter.Tests;

public class EngineTests
{
    [Fact]
    public async Task RandomGguf_LoadsAndGeneratesTokens()
    {
        var path = Path.Combine(Path.GetTempPath(), "entrepot-tests", "random-" + Guid.NewGuid().ToString("N")[..8] + ".gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        RandomGguf.Write(path);
        using var model = EmbeddedModel.Load(new ModelFile(path, ModelOrigin.RandomWeights));
        Assert.Contains("RANDOM WEIGHTS", model.File.Label);

        var request = new GenerationRequest { Model = model.Name, Messages = [("user", "the dog")], MaxTokens = 12, Seed = 1 };
        GenerationResult? result = null;
        await foreach (var item in model.GenerateAsync(request, CancellationToken.None))
        {
            result = item as GenerationResult ?? result;
        }

        Assert.NotNull(result);
        Assert.True(result.PromptTokens > 0);
        Assert.InRange(result.CompletionTokens, 1, 12);
    }

    [Fact]
    public async Task ModelLocator_ConfiguredPathMissing_IsAnErrorNotASilentFallback()
    {
        var dir = Path.Combine(Path.GetTempPath(), "entrepot-tests", "missing-" + Guid.NewGuid().ToString("N")[..8]);
        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => ModelLocator.ResolveAsync(Path.Combine(dir, "missing.gguf"), dir, _ => { }));
        Assert.Contains("missing.gguf", e.Message);
    }

    [Theory]
    [InlineData(new[] { "Once", " upon", " a", " time" }, new[] { " a" }, "Once upon")]
    [InlineData(new[] { "abc", "de", "f" }, new[] { "cd" }, "ab")]
    [InlineData(new[] { "hello", " world" }, new string[0], "hello world")]
    [InlineData(new[] { "x<", "/s", "top" }, new[] { "</stop>" }, "x</stop")]
    public void StopSequenceFilter_CutsBeforeStop_AcrossPieces(string[] pieces, string[] stops, string expected)
    {
        var filter = new StopSequenceFilter(stops);
        var text = string.Concat(pieces.Select(filter.Push)) + filter.Flush();
        Assert.Equal(expected, text);
    }

    [Fact]
    public async Task Admission_BeyondConcurrencyAndQueue_Refuses()
    {
        using var admission = new Admission(maxConcurrency: 1, maxQueue: 1);
        var first = await admission.TryEnterAsync(CancellationToken.None);
        Assert.NotNull(first);
        var queued = admission.TryEnterAsync(CancellationToken.None).AsTask();
        Assert.False(queued.IsCompleted);
        Assert.Equal(1, admission.Queued);
        Assert.Null(await admission.TryEnterAsync(CancellationToken.None));
        Assert.Equal(1, admission.Rejected);

        first.Dispose();
        using var second = await queued;
        Assert.NotNull(second);
        Assert.Equal(1, admission.InFlight);
    }
}
