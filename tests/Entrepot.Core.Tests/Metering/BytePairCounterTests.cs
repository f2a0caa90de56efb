using Entrepot.Core.Metering;
using Microsoft.ML.Tokenizers;

namespace Entrepot.Core.Tests.Metering;

/// <summary>The exchange's compact counter against the library's tokenizer, token for token.</summary>
public sealed class BytePairCounterTests
{
    private static readonly Lazy<BytePairCounter> O200k = new(() => BytePairCounter.ForEncoding("o200k_base"));
    private static readonly Lazy<BytePairCounter> Cl100k = new(() => BytePairCounter.ForEncoding("cl100k_base"));
    private static readonly Lazy<TiktokenTokenizer> LibraryO200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<TiktokenTokenizer> LibraryCl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    public static TheoryData<string> Texts => new()
    {
        "Hello, world!",
        "You are a helpful assistant. Summarise the quarterly figures in three bullet points.",
        "I'm sure they'll say it's fine; we've DONE it before, HAVEN'T we? She'd know.",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\n\nprint(fib(30))\r\n",
        "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":16}",
        "1234567890 3.14159 -42 1e10 0x7fffffff 2026-12-04T03:08:41Z",
        "東京の天気は晴れです。明日は雨が降るでしょう。",
        "Привет, как дела? Всё хорошо, спасибо!",
        "مرحبا بالعالم، كيف حالك اليوم؟",
        "नमस्ते दुनिया, आप कैसे हैं?",
        "emoji: 😀👍🏽🇫🇷 👨‍👩‍👧‍👦 and ✨sparkles✨",
        "tabs\tand   spaces     and\n\n\nnewlines   \n  trailing   ",
        "<|endoftext|> in the text, and <|endofprompt|> too, and <|fim_prefix|>",
        "lone surrogate \ud800 here and \udc00 there",
        "Ünïcödé àccents çà et là: naïve café résumé",
        "https://example.com/path/to/resource?query=value&other=1#fragment",
        "    indented code with    internal    spaces",
        "MiXeD CaSe WoRdS ALLCAPS lowercase CamelCaseIdentifier snake_case_name",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Counts_as_the_library_counts(string text)
    {
        Assert.Equal(LibraryO200k.Value.CountTokens(text), O200k.Value.Count(text));
        Assert.Equal(LibraryCl100k.Value.CountTokens(text), Cl100k.Value.Count(text));
    }

    [Fact]
    public void Random_text_counts_as_the_library_counts()
    {
        var random = new Random(20261204);
        var alphabet = "aeiou bcdfg hjklm npqrst vwxyz AEIOU 0123456789 .,;:!?'\"()[]{}<>|/\\-_=+*&^%$#@~`\n\t éàüßçñøå 中文字 日本語 한국어 😀🎉 \u0301\u200d";
        for (var i = 0; i < 1_500; i++)
        {
            var length = random.Next(1, 300);
            var chars = new char[length];
            for (var j = 0; j < length; j++)
            {
                chars[j] = random.Next(10) == 0 ? (char)random.Next(0x20, 0xFFFF) : alphabet[random.Next(alphabet.Length)];
            }

            var text = new string(chars);
            Assert.True(LibraryO200k.Value.CountTokens(text) == O200k.Value.Count(text), $"o200k differs on: {text}");
            Assert.True(LibraryCl100k.Value.CountTokens(text) == Cl100k.Value.Count(text), $"cl100k differs on: {text}");
        }
    }

    [Fact]
    public void Long_words_count_as_the_library_counts()
    {
        var random = new Random(7);
        var base64 = Convert.ToBase64String(Enumerable.Range(0, 30_000).Select(_ => (byte)random.Next(256)).ToArray());
        var letters = new string(Enumerable.Range(0, 5_000).Select(_ => (char)('a' + random.Next(26))).ToArray());
        foreach (var text in new[] { base64, letters, new string('a', 10_000), string.Concat(Enumerable.Repeat("ab", 3_000)), new string('é', 2_000) })
        {
            Assert.Equal(LibraryO200k.Value.CountTokens(text), O200k.Value.Count(text));
        }
    }

    [Fact]
    public void The_heap_merge_and_the_plain_merge_agree()
    {
        var heapAlways = BytePairCounter.ForEncoding("o200k_base", heapFrom: 1);
        var plainAlways = BytePairCounter.ForEncoding("o200k_base", heapFrom: int.MaxValue);
        var random = new Random(11);
        for (var i = 0; i < 2_000; i++)
        {
            var piece = new byte[random.Next(2, 120)];
            for (var j = 0; j < piece.Length; j++)
            {
                piece[j] = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)"etaoinshrdlu "[random.Next(13)];
            }

            Assert.Equal(plainAlways.CountPiece(piece), heapAlways.CountPiece(piece));
        }
    }

    [Fact]
    public void Holds_a_tenth_of_what_the_library_holds()
    {
        Assert.InRange(O200k.Value.Footprint, 1_000_000, 6_000_000);
        Assert.Equal(0, O200k.Value.Count(""));
    }
}
