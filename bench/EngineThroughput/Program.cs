using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

// Tokens/s of the embedded engine's model called directly with LLamaSharp and through an exporter
// node's /v1/completions, on the same model, prompt and settings (greedy, the node's context and
// batch size, one thread). The two run in pairs, one request each, in alternating order: this host's
// speed drifts by tens of per cent within seconds, and rounds of ten requests a side moved the ratio
// between 80 and 94 % for the same code, where adjacent requests see the same host. The goal's figure
// is the median of the pairs' ratios; the node's added time is the median of the pairs' differences.
//
//   EngineThroughput MODEL.gguf NODE_BASE_URL NODE_KEY [PAIRS=200] [MAX_TOKENS=256]
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: EngineThroughput MODEL.gguf NODE_BASE_URL NODE_KEY [PAIRS] [MAX_TOKENS]");
    return 2;
}

var (modelPath, nodeUrl, nodeKey) = (args[0], args[1].TrimEnd('/'), args[2]);
var pairs = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 200;
var maxTokens = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 256;
const string Prompt = "Once upon a time, there was a little girl named Lily. She loved to play in the park with her";

NativeLibraryConfig.All.WithCuda(false).WithVulkan(false).WithAutoFallback(true);
NativeLibraryConfig.All.WithLogCallback((_, _) => { });
// The embedded engine's settings (Entrepot.Exporter/Engines/EmbeddedModel.cs).
var parameters = new ModelParams(modelPath) { ContextSize = 512, BatchSize = 512, Threads = 1, GpuLayerCount = 0 };
using var weights = LLamaWeights.LoadFromFile(parameters);
using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) };
http.DefaultRequestHeaders.Authorization = new("Bearer", nodeKey);

(int Tokens, double Ms) Direct()
{
    var started = Stopwatch.GetTimestamp();
    using var context = weights.CreateContext(parameters);
    var tokens = context.Tokenize(Prompt, addBos: true, special: true);
    using var sampler = new DefaultSamplingPipeline { Temperature = 0, TopP = 1.0f, Seed = 42 }; // as the node reads temperature 0 and no top_p
    var decoder = new StreamingTokenDecoder(context);
    var batch = new LLamaBatch();
    batch.AddRange(tokens, 0, LLamaSeqId.Zero, true);
    context.Decode(batch);
    var position = tokens.Length;
    var produced = 0;
    var text = new System.Text.StringBuilder();
    while (produced < maxTokens)
    {
        var token = sampler.Sample(context.NativeHandle, batch.TokenCount - 1);
        if (token.IsEndOfGeneration(weights.Vocab))
        {
            break;
        }

        sampler.Accept(token);
        produced++;
        decoder.Add(token);
        text.Append(decoder.Read());
        batch.Clear();
        batch.Add(token, position++, LLamaSeqId.Zero, true);
        context.Decode(batch);
    }

    return (produced, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

async Task<(int Tokens, double Ms)> ViaNode()
{
    var started = Stopwatch.GetTimestamp();
    using var response = await http.PostAsJsonAsync(nodeUrl + "/v1/completions",
        new { model = "stories260k", prompt = Prompt, max_tokens = maxTokens, temperature = 0, seed = 42 });
    response.EnsureSuccessStatusCode();
    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    var tokens = body.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
    return (tokens, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
}

// Ten of each first, not counted: the library's and the node's first calls load and compile (the
// generation loop runs unoptimised until the runtime has seen it enough times).
for (var i = 0; i < 10; i++)
{
    Direct();
    await ViaNode();
}

var direct = new List<(int Tokens, double Ms)>();
var node = new List<(int Tokens, double Ms)>();
for (var i = 1; i <= pairs; i++)
{
    if (i % 2 == 1)
    {
        direct.Add(Direct());
        node.Add(await ViaNode());
    }
    else
    {
        node.Add(await ViaNode());
        direct.Add(Direct());
    }

    if (i % 50 == 0 || i == pairs)
    {
        Console.WriteLine($"pairs 1-{i}: direct {Tps(direct):F0} tokens/s, node {Tps(node):F0} tokens/s, median pair ratio {100 * MedianRatio():F1} %");
    }
}

static double Tps(List<(int Tokens, double Ms)> runs) => runs.Sum(r => r.Tokens) / (runs.Sum(r => r.Ms) / 1000);

static double Median(IEnumerable<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

double Ratio(int i) => node[i].Tokens / node[i].Ms / (direct[i].Tokens / direct[i].Ms);
double MedianRatio() => Median(Enumerable.Range(0, node.Count).Select(Ratio));

var ratios = Enumerable.Range(0, pairs).Select(Ratio).Order().ToArray();
Console.WriteLine();
Console.WriteLine($"{pairs} alternated pairs ({maxTokens} tokens at most, greedy):");
Console.WriteLine($"  median pair ratio, through the exporter node against LLamaSharp directly: {100 * MedianRatio():F1} % (goal >= 90 %); pairs' 10th-90th percentiles {100 * ratios[pairs / 10]:F1}-{100 * ratios[pairs * 9 / 10]:F1} %");
Console.WriteLine($"  LLamaSharp directly: median {Median(direct.Select(d => d.Tokens / d.Ms * 1000)):F0} tokens/s, {Median(direct.Select(d => d.Ms)):F1} ms per request; through the node: median {Median(node.Select(n => n.Tokens / n.Ms * 1000)):F0} tokens/s, {Median(node.Select(n => n.Ms)):F1} ms");
Console.WriteLine($"  all pairs together: {Tps(direct):F0} against {Tps(node):F0} tokens/s = {100 * Tps(node) / Tps(direct):F1} %");
Console.WriteLine($"  the node's added time per request (median of the pairs' differences): {Median(Enumerable.Range(0, pairs).Select(i => node[i].Ms - direct[i].Ms)):F2} ms (HTTP, admission, the request's parse, the receipt signed and logged, and generation in the node's process)");
if (direct.Zip(node).Any(p => p.First.Tokens != p.Second.Tokens))
{
    Console.WriteLine("  note: the two produced different token counts; tokens/s still compares like with like");
}

return 0;
