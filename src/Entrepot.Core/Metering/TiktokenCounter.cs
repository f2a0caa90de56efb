using Entrepot.Core.Protocol;
using Microsoft.ML.Tokenizers;

namespace Entrepot.Core.Metering;

/// <summary>
/// OpenAI's models: their tiktoken encoding (Microsoft.ML.Tokenizers with the published vocabulary
/// files), and for chat the format OpenAI documents for counting a conversation: 3 tokens per message
/// plus its role, content and name (1 more for a name), and 3 that start the answer. The vocabulary is
/// loaded on first use and kept as a <see cref="BytePairCounter"/> (about 4 MB for o200k_base where
/// the library's tokenizer holds about 45 MB; docs/PERFORMANCE.md).
/// </summary>
public sealed class TiktokenCounter : ITokenCounter
{
    private readonly Lazy<BytePairCounter> _counter;
    private readonly TokenCountCache _cache = new();
    private readonly Func<string, int> _count;
    // The tokens of each role the request parser knows (InferenceRequestParser.ChatRoles): counted
    // once each, not looked up per message.
    private readonly int[] _roleTokens = new int[InferenceRequestParser.ChatRoles.Count];

    public TiktokenCounter(string encoding)
    {
        Encoding = encoding;
        _counter = new Lazy<BytePairCounter>(() => BytePairCounter.ForEncoding(encoding), LazyThreadSafetyMode.ExecutionAndPublication);
        _count = text => _counter.Value.Count(text);
        Description = $"tiktoken {encoding}, OpenAI chat format (3 per message + role, content, name; 3 to answer)";
        Array.Fill(_roleTokens, -1);
    }

    public string Encoding { get; }

    public string Description { get; }

    public bool Exact => true;

    /// <summary>The encoding of an OpenAI model name, or null when it is not one this knows.</summary>
    public static string? EncodingOf(string model)
    {
        var m = model.ToLowerInvariant();
        if (m.StartsWith("gpt-4o", StringComparison.Ordinal) || m.StartsWith("chatgpt-4o", StringComparison.Ordinal) ||
            m.StartsWith("gpt-4.1", StringComparison.Ordinal) || m.StartsWith("gpt-4.5", StringComparison.Ordinal) ||
            m.StartsWith("gpt-5", StringComparison.Ordinal) || m.StartsWith("o1", StringComparison.Ordinal) ||
            m.StartsWith("o3", StringComparison.Ordinal) || m.StartsWith("o4", StringComparison.Ordinal) ||
            m.StartsWith("gpt-oss", StringComparison.Ordinal))
        {
            return "o200k_base";
        }

        return m.StartsWith("gpt-4", StringComparison.Ordinal) || m.StartsWith("gpt-3.5", StringComparison.Ordinal) ? "cl100k_base" : null;
    }

    private int Tokens(string text) => _cache.Count(text, _count);

    private int RoleTokens(string role)
    {
        var roles = InferenceRequestParser.ChatRoles;
        for (var i = 0; i < roles.Count; i++)
        {
            if (string.Equals(roles[i], role, StringComparison.Ordinal))
            {
                var n = Volatile.Read(ref _roleTokens[i]);
                if (n < 0)
                {
                    n = _counter.Value.Count(role);
                    Volatile.Write(ref _roleTokens[i], n);
                }

                return n;
            }
        }

        return Tokens(role);
    }

    public long CountPrompt(PromptContent prompt)
    {
        if (!prompt.IsChat)
        {
            long sum = 0;
            foreach (var t in prompt.Texts)
            {
                sum += Tokens(t);
            }

            return sum;
        }

        long n = 3;
        foreach (var m in prompt.Messages)
        {
            n += 3 + RoleTokens(m.Role);
            for (int i = m.FirstText; i < m.FirstText + m.TextCount; i++)
            {
                n += Tokens(prompt.Texts[i]);
            }

            if (m.Name is { } name)
            {
                n += 1 + Tokens(name);
            }
        }

        return n;
    }

    public long CountCompletion(PromptContent prompt, string completion) => _counter.Value.Count(completion);
}
