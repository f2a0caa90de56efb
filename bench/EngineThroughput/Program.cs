using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LLama;
using LLama.Common;
using LLama.Native;
using LLama.Sampling;

// Tokens/s of the embedded engine's model called directly with LLamaSharp and through an exporter
// node's /v1/completions, on the same model, prompt and settings (greedy, the node's context and
// batch size, one thread), alternated round by round. The node's added time per request is the
// difference of the two per-request times for the same tokens.
//
//   EngineThroughput MODEL.gguf NODE_BASE_URL NODE_KEY [REQUESTS=10] [MAX_TOKENS=256] [ROUNDS=5]
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: EngineThroughput MODEL.gguf NODE_BASE_URL NODE_KEY [REQUESTS] [MAX_TOKENS] [ROUNDS]");
    return 2;
}

var (modelPath, nodeUrl, nodeKey) = (args[0], args[1].TrimEnd('/'), args[2]);
var requests = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10;
var maxTokens = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 256;
var rounds = args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 5;
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

// A round of each first, not counted: the library's and the node's first calls load and compile
// (the generation loop runs unoptimised until the runtime has seen it enough times).
for (var i = 0; i < requests; i++)
{
    Direct();
    await ViaNode();
}

var direct = new List<(double TokensPerSecond, double MsPerRequest, int Tokens)>();
var node = new List<(double TokensPerSecond, double MsPerRequest, int Tokens)>();
for (var r = 1; r <= rounds; r++)
{
    // Each round in the other order, so neither side always runs right after the other.
    var order = r % 2 == 1 ? new[] { ("direct", direct), ("node", node) } : new[] { ("node", node), ("direct", direct) };
    foreach (var (name, list) in order)
    {
        var tokens = 0;
        var ms = 0.0;
        for (var i = 0; i < requests; i++)
        {
            var (t, m) = name == "direct" ? Direct() : await ViaNode();
            tokens += t;
            ms += m;
        }

        list.Add((tokens / (ms / 1000), ms / requests, tokens / requests));
        Console.WriteLine($"round {r} {name,-6}: {tokens / (ms / 1000),8:F0} tokens/s, {ms / requests,7:F2} ms per request of {tokens / requests} tokens");
    }
}

static double Median(IEnumerable<double> xs)
{
    var s = xs.Order().ToArray();
    return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
}

var dTps = Median(direct.Select(d => d.TokensPerSecond));
var nTps = Median(node.Select(d => d.TokensPerSecond));
var added = Median(node.Select(n => n.MsPerRequest)) - Median(direct.Select(d => d.MsPerRequest));
Console.WriteLine();
Console.WriteLine($"medians of {rounds} rounds of {requests} requests ({maxTokens} tokens at most, greedy):");
Console.WriteLine($"  LLamaSharp directly: {dTps:F0} tokens/s; through the exporter node: {nTps:F0} tokens/s = {100 * nTps / dTps:F1} % (goal >= 90 %)");
Console.WriteLine($"  the node's added time per request: {added:F2} ms (HTTP, admission, the request's parse, the receipt signed and logged)");
if (direct.Zip(node).Any(p => p.First.Tokens != p.Second.Tokens))
{
    Console.WriteLine("  note: the two produced different token counts; tokens/s still compares like with like");
}

return 0;
