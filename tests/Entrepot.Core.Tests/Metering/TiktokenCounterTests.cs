using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Microsoft.ML.Tokenizers;

namespace Entrepot.Core.Tests.Metering;

/// <summary>
/// A chat prompt's count by OpenAI's documented format, checked against the tokenizer library itself:
/// 3 per message plus its role, content and name (1 more for a name), and 3 that start the answer.
/// Roles are counted once and remembered, texts through the cache: the second count must equal the first.
/// </summary>
public sealed class TiktokenCounterTests
{
    private static readonly Lazy<TiktokenTokenizer> Library = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    [Fact]
    public void A_chat_prompt_counts_as_the_documented_format_over_the_library_s_tokens_every_time()
    {
        // Every role the counter remembers, one it does not know, a name, and a message of two parts.
        (string Role, string[] Texts, string? Name)[] messages =
        [
            ("system", ["You are terse."], null),
            ("developer", ["Answer in French when asked in French."], null),
            ("user", ["Bonjour, quelle heure est-il à Paris ?", "Et à Montréal ?"], "amélie"),
            ("assistant", ["Il est midi à Paris."], null),
            ("tool", ["{\"time\":\"06:00\"}"], null),
            ("function", ["42"], "clock"),
            ("narrator with an unusual role", ["Once upon a time"], null),
        ];
        var texts = new List<string>();
        var parsed = new List<PromptMessage>();
        long expected = 3;
        foreach (var (role, parts, name) in messages)
        {
            parsed.Add(new PromptMessage(role, texts.Count, parts.Length, name));
            texts.AddRange(parts);
            expected += 3 + Library.Value.CountTokens(role) + parts.Sum(p => Library.Value.CountTokens(p));
            if (name is not null)
            {
                expected += 1 + Library.Value.CountTokens(name);
            }
        }

        var prompt = new PromptContent(texts, parsed, isChat: true);
        var counter = new TiktokenCounter("o200k_base");

        Assert.Equal(expected, counter.CountPrompt(prompt));
        Assert.Equal(expected, counter.CountPrompt(prompt));
        Assert.StartsWith("tiktoken o200k_base", counter.Description, StringComparison.Ordinal);
    }
}
