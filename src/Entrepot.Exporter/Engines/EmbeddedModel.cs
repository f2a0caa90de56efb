using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Entrepot.Exporter.Models;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

namespace Entrepot.Exporter.Engines;

/// <summary>
/// A GGUF model loaded once with LLamaSharp (CPU backend) and shared by all requests; each request
/// gets its own small context. Decoding runs on a worker thread, never on a Kestrel thread, and
/// hands text pieces to the HTTP side through a channel.
/// </summary>
public sealed class EmbeddedModel : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly ModelParams _params;
    private readonly bool _hasChatTemplate;

    private EmbeddedModel(LLamaWeights weights, ModelParams parameters, ModelFile file, string name)
    {
        _weights = weights;
        _params = parameters;
        File = file;
        Name = name;
        _hasChatTemplate = weights.Metadata.ContainsKey("tokenizer.chat_template");
    }

    public ModelFile File { get; }
    public string Name { get; }
    public int ContextSize => (int)_params.ContextSize!.Value;

    /// <param name="vocabularyOnly">Load only the vocabulary and metadata (to count tokens, as the exchange does), not the weights.</param>
    public static EmbeddedModel Load(ModelFile file, string? name = null, int contextSize = 512, bool vocabularyOnly = false)
    {
        NativeRuntime.Configure();
        var parameters = new ModelParams(file.Path)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            Threads = 1,
            GpuLayerCount = 0,
            VocabOnly = vocabularyOnly,
        };
        var weights = LLamaWeights.LoadFromFile(parameters);
        return new EmbeddedModel(weights, parameters, file, name ?? Path.GetFileNameWithoutExtension(file.Path).ToLowerInvariant());
    }

    /// <summary>The prompt text the model sees: the model's chat template if it has one, else the contents in order.</summary>
    public string PromptFor(GenerationRequest request) => request.Prompt ?? PromptFor(request.Messages);

    /// <summary>The prompt text of chat messages: the model's chat template if it has one, else the contents joined by newlines.</summary>
    public string PromptFor(IReadOnlyList<(string Role, string Content)> messages)
    {
        if (_hasChatTemplate)
        {
            var template = new LLamaTemplate(_weights) { AddAssistant = true };
            foreach (var (role, content) in messages)
            {
                template.Add(role, content);
            }

            return LLama.Transformers.PromptTemplateTransformer.ToModelPrompt(template);
        }

        return string.Join("\n", messages.Select(m => m.Content));
    }

    /// <summary>Whether the model carries a chat template (else the prompt is the contents joined by newlines).</summary>
    public bool HasChatTemplate => _hasChatTemplate;

    private LLamaEmbedder? _embedder;
    private readonly SemaphoreSlim _embedding = new(1, 1);

    /// <summary>
    /// One vector per input, mean-pooled over the model's last hidden states and L2-normalised (as
    /// OpenAI's are), with the tokens read. An input longer than the context is refused
    /// (<see cref="InputTooLongException"/>); inputs are embedded one after another.
    /// </summary>
    public async Task<(float[][] Vectors, long Tokens)> EmbedAsync(IReadOnlyList<string> inputs, CancellationToken ct)
    {
        await _embedding.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _embedder ??= new LLamaEmbedder(_weights, new ModelParams(_params.ModelPath)
            {
                ContextSize = _params.ContextSize,
                BatchSize = _params.BatchSize,
                UBatchSize = _params.BatchSize,
                Threads = 1,
                GpuLayerCount = 0,
                Embeddings = true,
                PoolingType = LLamaPoolingType.Mean,
            });
            var vectors = new float[inputs.Count][];
            long tokens = 0;
            for (var i = 0; i < inputs.Count; i++)
            {
                var n = CountTokens(inputs[i]);
                if (n > ContextSize)
                {
                    throw new InputTooLongException($"'input[{i}]' is {n} tokens; this model embeds at most {ContextSize}.", inputs.Count == 1 ? "input" : $"input[{i}]");
                }

                tokens += n;
                var vector = (await _embedder.GetEmbeddings(inputs[i], ct).ConfigureAwait(false))[0];
                vectors[i] = Normalised(vector);
            }

            return (vectors, tokens);
        }
        finally
        {
            _embedding.Release();
        }
    }

    /// <summary>The vector scaled to length 1 (a zero vector stays zero).</summary>
    private static float[] Normalised(float[] v)
    {
        double sum = 0;
        foreach (var x in v)
        {
            sum += (double)x * x;
        }

        if (sum > 0)
        {
            var scale = (float)(1 / Math.Sqrt(sum));
            for (var i = 0; i < v.Length; i++)
            {
                v[i] *= scale;
            }
        }

        return v;
    }

    public int CountTokens(string text) => _weights.Tokenize(text, true, false, System.Text.Encoding.UTF8).Length;

    /// <summary>The tokens of a prompt as the engine feeds it: with the start token, special tokens parsed.</summary>
    public int CountPromptTokens(string prompt) => _weights.Tokenize(prompt, true, true, System.Text.Encoding.UTF8).Length;

    /// <summary>Generates text pieces; the last item is the result with finish reason and token counts.</summary>
    public async IAsyncEnumerable<object> GenerateAsync(GenerationRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateBounded<object>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
        var worker = Task.Factory.StartNew(() => Run(request, channel.Writer, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await foreach (var item in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            yield return item;
        }

        await worker.ConfigureAwait(false);
    }

    private void Run(GenerationRequest request, ChannelWriter<object> output, CancellationToken ct)
    {
        try
        {
            using var context = _weights.CreateContext(_params);
            var prompt = PromptFor(request);
            var tokens = context.Tokenize(prompt, addBos: true, special: true);
            var contextSize = (int)context.ContextSize;
            if (tokens.Length >= contextSize)
            {
                throw new PromptTooLongException(tokens.Length, contextSize);
            }

            var maxTokens = Math.Min(request.MaxTokens ?? contextSize, contextSize - tokens.Length);
            using var sampler = new DefaultSamplingPipeline
            {
                Temperature = request.Temperature,
                TopP = request.TopP,
                Seed = request.Seed ?? (uint)Random.Shared.Next(),
            };
            var decoder = new StreamingTokenDecoder(context);
            var stops = new StopSequenceFilter(request.Stop);
            var vocab = _weights.Vocab;

            // A whole answer is handed over once, at the end: a hand-over per token woke the reader's
            // thread-pool thread for each (it then spun for the next), which on two cores took a
            // quarter of the time from generation (docs/PERFORMANCE.md). A stream hands each piece over.
            var whole = request.Stream ? null : new System.Text.StringBuilder();
            var batch = new LLamaBatch();
            batch.AddRange(tokens, 0, LLamaSeqId.Zero, true);
            Decode(context, batch);
            var position = tokens.Length;
            var produced = 0;
            var finish = "length";
            while (produced < maxTokens)
            {
                ct.ThrowIfCancellationRequested();
                var token = sampler.Sample(context.NativeHandle, batch.TokenCount - 1);
                if (token.IsEndOfGeneration(vocab))
                {
                    finish = "stop";
                    break;
                }

                sampler.Accept(token);
                produced++;
                decoder.Add(token);
                var text = stops.Push(decoder.Read());
                if (text.Length > 0)
                {
                    if (whole is not null)
                    {
                        whole.Append(text);
                    }
                    else
                    {
                        Write(output, text, ct);
                    }
                }

                if (stops.Stopped)
                {
                    finish = "stop";
                    break;
                }

                batch.Clear();
                batch.Add(token, position++, LLamaSeqId.Zero, true);
                Decode(context, batch);
            }

            var rest = stops.Push(decoder.Read()) + stops.Flush();
            if (whole is not null)
            {
                rest = whole.Append(rest).ToString();
            }

            if (rest.Length > 0)
            {
                Write(output, rest, ct);
            }

            Write(output, new GenerationResult(finish, tokens.Length, produced), ct);
            output.TryComplete();
        }
        catch (Exception e)
        {
            output.TryComplete(e);
        }
    }

    private static void Decode(LLamaContext context, LLamaBatch batch)
    {
        var result = context.Decode(batch);
        if (result != DecodeResult.Ok)
        {
            throw new InvalidOperationException($"llama_decode failed: {result}");
        }
    }

    private static void Write(ChannelWriter<object> output, object item, CancellationToken ct)
    {
        while (!output.TryWrite(item))
        {
            // The reader is slower than the model: wait for room (bounded, so memory stays flat).
            output.WaitToWriteAsync(ct).AsTask().GetAwaiter().GetResult();
        }
    }

    public void Dispose()
    {
        _embedder?.Dispose();
        _embedding.Dispose();
        _weights.Dispose();
    }
}

/// <summary>An embeddings input longer than the model's context, with the parameter to name.</summary>
public sealed class InputTooLongException(string message, string param) : Exception(message)
{
    public string Param { get; } = param;
}

public sealed class PromptTooLongException(int tokens, int contextSize)
    : Exception($"The prompt is {tokens} tokens; this model's context holds {contextSize}, including the answer.")
{
    public int Tokens { get; } = tokens;
    public int ContextSize { get; } = contextSize;
}
