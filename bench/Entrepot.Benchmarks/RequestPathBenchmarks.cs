using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Entrepot.Core.Accounts;
using Entrepot.Core.Market;
using Entrepot.Core.Network;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;

namespace Entrepot.Benchmarks;

/// <summary>The pieces of the exchange's request path, each alone: parse, authenticate, route, rewrite, relay.</summary>
[MemoryDiagnoser]
public class RequestPathBenchmarks
{
    private byte[] _body = [];
    private byte[] _bodyWithProvider = [];
    private byte[] _stream = [];
    private RouteTable _routes = RouteTable.Empty;
    private KeyRing _keys = KeyRing.Empty;
    private readonly List<Candidate> _candidates = new(8);
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);
    private const string Key = "ent-benchmark-key-0123456789abcdefghij";

    [GlobalSetup]
    public void Setup()
    {
        // The same ~1 KB request as the load harness (system prompt, three turns, sampling options).
        var content = new string('x', 200);
        var json = $$"""{"model":"m","messages":[{"role":"system","content":"{{content}}"},{"role":"user","content":"{{content}}"},{"role":"assistant","content":"{{content}}"},{"role":"user","content":"{{content}}"}],"temperature":0.7,"max_tokens":256,"user":"bench"}""";
        _body = Encoding.UTF8.GetBytes(json);
        _bodyWithProvider = Encoding.UTF8.GetBytes(json[..^1] + ""","provider":{"order":["p3"],"sort":"price","max_price":{"prompt":5,"completion":5}},"stream":true}""");
        var chunk = """data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"token"},"finish_reason":null}]}""" + "\n\n";
        _stream = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(chunk, 20)) +
            """data: {"id":"c","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":20,"total_tokens":40}}""" + "\n\ndata: [DONE]\n\n");
        var here = new GeoPoint(50.11, 8.68);
        _routes = new RouteTable(Enumerable.Range(0, 8).Select(i => new Provider
        {
            Id = "p" + i, BaseUrl = new Uri($"http://127.0.0.1:{9000 + i}/v1/"), Jurisdiction = i % 2 == 0 ? "US" : "SG",
            Location = new GeoPoint(i * 10, i * 20), Models = ["m"], Price = new Price(0.1m * (i + 1), 0.2m * (i + 1)),
        }), here, TimeProvider.System, null);
        _keys = new KeyRing([new ApiKeyEntry("k", ApiKeyHash.Compute(Key), new Account("a", "A"))]);
        SetupBorder();
    }

    private byte[] _prose = [];
    private Core.Border.Rules.RuleBook _book = Core.Border.Rules.RuleBook.Empty;
    private readonly Core.Border.Policy.PolicyEngine _engine = new(new Core.Border.Policy.SubjectCounter());
    private readonly byte[] _subjectKey = new byte[32];

    private void SetupBorder()
    {
        var text = "Please summarise the attached quarterly report for the board: revenue, costs and the 2027 outlook. ";
        var content = string.Concat(Enumerable.Repeat(text, 2));
        _prose = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"system","content":"{{content}}"},{"role":"user","content":"{{content}}"},{"role":"assistant","content":"{{content}}"},{"role":"user","content":"{{content}}"}],"max_tokens":256}""");
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Entrepot.slnx")))
        {
            dir = dir.Parent;
        }

        _book = Core.Border.Rules.RulePackLoader.LoadDirectory(Path.Combine(dir!.FullName, "rules"), DateTimeOffset.UtcNow);
    }

    /// <summary>The border's work for one ~1 KB request: read the request and its data fields, scan them, build the
    /// profile, and decide 4 sellers (DE buyer; SG, US, CN, DE sellers) against the 45 shipped rules.</summary>
    [Benchmark]
    public int BorderInspectAndDecide4Sellers()
    {
        var content = InferenceRequestParser.Parse(_prose, EndpointKind.ChatCompletions, out _)!.Content;
        var inspection = Core.Border.Inspection.Run(content.Fields, content.Unscanned.Count, 0, Core.Border.DataCategory.None, Core.Border.DataClass.Public, _subjectKey);
        var trade = new Core.Border.Policy.TradeContext("DE", inspection.Profile, DateTimeOffset.UtcNow, inspection.Subjects);
        int allowed = 0;
        foreach (var j in (string[])["SG", "US", "CN", "DE"])
        {
            allowed += _engine.Decide(_book, trade, new Core.Border.Policy.Counterparty("s-" + j, j)).Verdict == Core.Border.Policy.Verdict.Deny ? 0 : 1;
        }

        return allowed;
    }

    [Benchmark]
    public InferenceRequest? Parse() => InferenceRequestParser.Parse(_body, EndpointKind.ChatCompletions, out _);

    [Benchmark]
    public InferenceRequest? ParseWithProviderObject() => InferenceRequestParser.Parse(_bodyWithProvider, EndpointKind.ChatCompletions, out _);

    [Benchmark]
    public ApiKeyEntry? Authenticate() => _keys.Authenticate(Key);

    [Benchmark]
    public RouteFailure RouteBalanced8Sellers() => Router.Plan(_routes, "m", ProviderPreferences.None, SortBy.Balanced, _candidates);

    [Benchmark]
    public int RewriteBody()
    {
        _output.ResetWrittenCount();
        ForwardBody.Write(_bodyWithProvider, true, _output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public long RelayStream22Events()
    {
        _output.ResetWrittenCount();
        using var relay = new SseRelay(forwardUsageChunk: false);
        for (var i = 0; i < _stream.Length; i += 1024)
        {
            relay.Process(_stream.AsSpan(i, Math.Min(1024, _stream.Length - i)), _output);
        }

        relay.Complete(_output);
        return relay.CompletionTokens;
    }

    /// <summary>The same stream as the exchange relays it: hashed for the seller's receipt and its text kept for the own count.</summary>
    [Benchmark]
    public long RelayStream22EventsHashed()
    {
        _output.ResetWrittenCount();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var relay = new SseRelay(forwardUsageChunk: false) { Hasher = hash, CaptureText = true };
        for (var i = 0; i < _stream.Length; i += 1024)
        {
            relay.Process(_stream.AsSpan(i, Math.Min(1024, _stream.Length - i)), _output);
        }

        relay.Complete(_output);
        return relay.CompletionTokens + hash.GetHashAndReset()[0];
    }
}
