using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using Entrepot.Core.Protocol;
using Entrepot.Core.Protocol.Doors;

namespace Entrepot.Benchmarks;

/// <summary>
/// What a door other than chat completions adds to a request: reading a Responses or Messages
/// request into the chat request (the same ~1 KB conversation as <see cref="RequestPathBenchmarks"/>),
/// writing a whole chat answer back in the door's shape, and translating a 20-token stream.
/// </summary>
[MemoryDiagnoser]
public class DoorBenchmarks
{
    private byte[] _responses = [];
    private byte[] _messages = [];
    private byte[] _answer = [];
    private byte[] _stream = [];
    private ResponsesTranslation _responsesDoor = null!;
    private MessagesTranslation _messagesDoor = null!;
    private readonly ArrayBufferWriter<byte> _output = new(64 * 1024);

    [GlobalSetup]
    public void Setup()
    {
        var content = new string('x', 200);
        _responses = Encoding.UTF8.GetBytes($$"""{"model":"m","instructions":"{{content}}","input":[{"role":"user","content":"{{content}}"},{"role":"assistant","content":"{{content}}"},{"role":"user","content":"{{content}}"}],"temperature":0.7,"max_output_tokens":256,"store":false}""");
        _messages = Encoding.UTF8.GetBytes($$"""{"model":"m","system":"{{content}}","messages":[{"role":"user","content":"{{content}}"},{"role":"assistant","content":"{{content}}"},{"role":"user","content":"{{content}}"}],"temperature":0.7,"max_tokens":256}""");
        _answer = Encoding.UTF8.GetBytes($$$"""{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"{{{content}}}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":200,"completion_tokens":50,"total_tokens":250}}""");
        var chunk = """data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"token"},"finish_reason":null}]}""" + "\n\n";
        _stream = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(chunk, 20)) +
            """data: {"id":"c","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":20,"total_tokens":40}}""" + "\n\ndata: [DONE]\n\n");
        _responsesDoor = ResponsesDoor.Read(_responses, out _)!;
        _messagesDoor = MessagesDoor.Read(_messages, "2023-06-01", out _)!;
    }

    /// <summary>The chat door's own read of the same conversation, for comparison.</summary>
    [Benchmark(Baseline = true)]
    public object? ChatParse() => InferenceRequestParser.Parse(_responsesDoor.ChatBody, EndpointKind.ChatCompletions, out _);

    [Benchmark]
    public object? ResponsesRequest() => ResponsesDoor.Read(_responses, out _);

    [Benchmark]
    public object? MessagesRequest() => MessagesDoor.Read(_messages, "2023-06-01", out _);

    [Benchmark]
    public int ResponsesAnswer() => _responsesDoor.Answer(_answer).Length;

    [Benchmark]
    public int MessagesAnswer() => _messagesDoor.Answer(_answer).Length;

    [Benchmark]
    public int ResponsesStream()
    {
        _output.ResetWrittenCount();
        using var s = _responsesDoor.Stream();
        s.Start(_output);
        s.Push(_stream, _output);
        s.Complete(_output);
        return _output.WrittenCount;
    }

    [Benchmark]
    public int MessagesStream()
    {
        _output.ResetWrittenCount();
        using var s = _messagesDoor.Stream();
        s.Start(_output);
        s.Push(_stream, _output);
        s.Complete(_output);
        return _output.WrittenCount;
    }
}
