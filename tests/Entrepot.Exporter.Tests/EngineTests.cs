using Entrepot.Exporter.Engines;
using Entrepot.Exporter.Hosting;
using Entrepot.Exporter.Models;

namespace Entrepot.Exporter.Tests;

public class EngineTests
{
    /// <summary>A fresh random-weight placeholder, written to a file of its own and loaded.</summary>
    private static EmbeddedModel LoadPlaceholder()
    {
        var path = Path.Combine(Path.GetTempPath(), "entrepot-tests", "random-" + Guid.NewGuid().ToString("N")[..8] + ".gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        RandomGguf.Write(path);
        return EmbeddedModel.Load(new ModelFile(path, ModelOrigin.RandomWeights));
    }

    [Fact]
    public async Task RandomGguf_LoadsAndGeneratesTokens()
    {
        using var model = LoadPlaceholder();
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
    public async Task RandomGguf_AnswersReadBackAsTheTokensGenerated()
    {
        // The placeholder's answers are noise, but an exchange counts them again with the model's own
        // vocabulary (the demo's does): read back, they must be as many tokens as the engine generated,
        // or every trade of a placeholder seller is flagged and billed at the exchange's count.
        using var model = LoadPlaceholder();
        var counter = new GgufTokenCounter(model);
        string[] questions = ["Once upon a time", "the dog saw a big tree", "Ünïcode, digits 42 and <tags>?", "hi"];
        var generated = 0;
        for (uint seed = 1; seed <= 24; seed++)
        {
            var question = questions[seed % questions.Length];
            var request = new GenerationRequest
            {
                Model = model.Name, Messages = [("user", question)], MaxTokens = 48, Seed = seed, Stream = seed % 2 == 0,
                Temperature = seed % 3 == 0 ? 2.0f : 1.0f,
            };
            var text = new System.Text.StringBuilder();
            GenerationResult? result = null;
            await foreach (var item in model.GenerateAsync(request, CancellationToken.None))
            {
                if (item is string piece)
                {
                    text.Append(piece);
                }

                result = item as GenerationResult ?? result;
            }

            Assert.NotNull(result);
            var prompt = new Core.Protocol.PromptContent([question], [new Core.Protocol.PromptMessage("user", 0, 1)], isChat: true);
            Assert.Equal(result.PromptTokens, counter.CountPrompt(prompt));
            Assert.True(result.CompletionTokens == counter.CountCompletion(prompt, text.ToString()),
                $"seed {seed}: {result.CompletionTokens} tokens generated, {counter.CountCompletion(prompt, text.ToString())} read back from \"{text}\"");
            generated += result.CompletionTokens;
        }

        // And they are answers: the placeholder does not stop at once.
        Assert.True(generated > 24 * 40, $"{generated} tokens in 24 answers of up to 48");
    }

    [Fact]
    public async Task ModelLocator_ReplacesAPlaceholderAnOlderReleaseWrote()
    {
        var dir = Path.Combine(Path.GetTempPath(), "entrepot-tests", "models-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var stale = Path.Combine(dir, RandomGguf.FileName);
        await File.WriteAllBytesAsync(stale, RandomGguf.Bytes()[..^4096]);

        Assert.Equal(stale, await ModelLocator.PlaceholderAsync(dir, CancellationToken.None));
        Assert.Equal(RandomGguf.Bytes(), await File.ReadAllBytesAsync(stale));
        var written = File.GetLastWriteTimeUtc(stale);

        // Today's is left as it is.
        await Task.Delay(20);
        await ModelLocator.PlaceholderAsync(dir, CancellationToken.None);
        Assert.Equal(written, File.GetLastWriteTimeUtc(stale));
        Assert.Single(Directory.GetFiles(dir));
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
