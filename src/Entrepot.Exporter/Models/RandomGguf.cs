using System.Text;

namespace Entrepot.Exporter.Models;

/// <summary>
/// Writes a tiny Llama-architecture GGUF (v3) with random weights and a small SentencePiece-style
/// vocabulary with byte fallback, so the embedded engine runs on a machine that has no real model
/// and no network. Its output is noise and it is labelled as a placeholder wherever it is shown.
/// <para>
/// The noise is still honest to count. An exchange counts a seller's answer again with the model's own
/// vocabulary, and a token sequence the tokenizer would not produce counts differently: bytes that are
/// no whole character, pieces the SentencePiece merges cannot reach (a word after its letters), a space
/// token that merges with the next letter. Only pieces the tokenizer gives back one for one (letters,
/// a space before a letter, two punctuation marks) get weights in the output layer; every other token's
/// logit is zero against theirs of about twenty, so it is never sampled in practice, and a placeholder
/// seller's counts agree with the exchange's instead of being flagged on every trade.
/// </para>
/// </summary>
public static class RandomGguf
{
    public const string FileName = "entrepot-random-tiny.gguf";
    private const int Embedding = 32;
    private const int FeedForward = 64;
    private const int Heads = 4;
    private const int Alignment = 32;

    // Weights are uniform in ±this; the output layer's rows of the pieces the model speaks use the
    // larger scale (logits of about ±3.3 × it: 32 dimensions of unit RMS), every other row is zero.
    private const double WeightScale = 0.08, SpokenScale = 3;

    private const uint TypeUInt32 = 4, TypeInt32 = 5, TypeFloat32 = 6, TypeString = 8, TypeArray = 9;

    private static readonly string[] Words =
    [
        "the", "and", "to", "was", "he", "she", "it", "they", "day", "big", "little", "happy", "dog", "cat",
        "girl", "boy", "tree", "sun", "play", "saw", "said", "with", "in", "on", "of", "is", "had", "friend", "time",
    ];

    public static void Write(string path) => File.WriteAllBytes(path, Bytes());

    /// <summary>The whole file: the same bytes on every call (the weights come from a fixed seed).</summary>
    public static byte[] Bytes()
    {
        var tokens = new List<(string Text, float Score, int Type)> { ("<unk>", 0, 2), ("<s>", 0, 3), ("</s>", 0, 3) };
        var spoken = new HashSet<string>(StringComparer.Ordinal) { ".", "," };
        for (var b = 0; b < 256; b++)
        {
            tokens.Add(($"<0x{b:X2}>", 0, 6));
        }

        tokens.Add(("\u2581", -1, 1));
        for (var c = 'a'; c <= 'z'; c++)
        {
            tokens.Add((c.ToString(), -2, 1));
            tokens.Add(("\u2581" + c, -2, 1));
            spoken.Add(c.ToString());
            spoken.Add("\u2581" + c);
        }

        foreach (var word in Words)
        {
            tokens.Add(("\u2581" + word, -1, 1));
        }

        tokens.Add((".", -2, 1));
        tokens.Add((",", -2, 1));
        var vocab = tokens.Count;
        // llama.cpp refuses a vocabulary with a repeated token text.
        System.Diagnostics.Debug.Assert(tokens.Select(t => t.Text).Distinct().Count() == vocab);

        var tensors = new List<(string Name, long[] Dims, bool IsNorm)>
        {
            ("token_embd.weight", [Embedding, vocab], false),
            ("output_norm.weight", [Embedding], true),
            ("output.weight", [Embedding, vocab], false),
            ("blk.0.attn_norm.weight", [Embedding], true),
            ("blk.0.attn_q.weight", [Embedding, Embedding], false),
            ("blk.0.attn_k.weight", [Embedding, Embedding], false),
            ("blk.0.attn_v.weight", [Embedding, Embedding], false),
            ("blk.0.attn_output.weight", [Embedding, Embedding], false),
            ("blk.0.ffn_norm.weight", [Embedding], true),
            ("blk.0.ffn_gate.weight", [Embedding, FeedForward], false),
            ("blk.0.ffn_down.weight", [FeedForward, Embedding], false),
            ("blk.0.ffn_up.weight", [Embedding, FeedForward], false),
        };

        using var file = new MemoryStream();
        using var w = new BinaryWriter(file, Encoding.UTF8);
        w.Write(0x46554747u); // "GGUF"
        w.Write(3u);
        w.Write((ulong)tensors.Count);
        w.Write(15UL); // metadata entries below

        KvString(w, "general.architecture", "llama");
        KvString(w, "general.name", "entrepot-random-tiny (random weights, placeholder)");
        KvU32(w, "llama.context_length", 512);
        KvU32(w, "llama.embedding_length", Embedding);
        KvU32(w, "llama.block_count", 1);
        KvU32(w, "llama.feed_forward_length", FeedForward);
        KvU32(w, "llama.attention.head_count", Heads);
        KvU32(w, "llama.attention.head_count_kv", Heads);
        KvU32(w, "llama.rope.dimension_count", Embedding / Heads);
        Key(w, "llama.attention.layer_norm_rms_epsilon");
        w.Write(TypeFloat32);
        w.Write(1e-5f);
        KvString(w, "tokenizer.ggml.model", "llama");

        Key(w, "tokenizer.ggml.tokens");
        w.Write(TypeArray);
        w.Write(TypeString);
        w.Write((ulong)vocab);
        foreach (var t in tokens)
        {
            Str(w, t.Text);
        }

        Key(w, "tokenizer.ggml.scores");
        w.Write(TypeArray);
        w.Write(TypeFloat32);
        w.Write((ulong)vocab);
        foreach (var t in tokens)
        {
            w.Write(t.Score);
        }

        Key(w, "tokenizer.ggml.token_type");
        w.Write(TypeArray);
        w.Write(TypeInt32);
        w.Write((ulong)vocab);
        foreach (var t in tokens)
        {
            w.Write(t.Type);
        }

        KvU32(w, "tokenizer.ggml.bos_token_id", 1);

        long offset = 0;
        foreach (var (name, dims, _) in tensors)
        {
            Str(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims)
            {
                w.Write((ulong)d);
            }

            w.Write(0u); // F32
            w.Write((ulong)offset);
            offset += Align(dims.Aggregate(1L, (a, b) => a * b) * 4);
        }

        Pad(w);
        var random = new Random(260);
        foreach (var (name, dims, isNorm) in tensors)
        {
            var count = dims.Aggregate(1L, (a, b) => a * b);
            for (long i = 0; i < count; i++)
            {
                // The output layer holds one row of Embedding values per token.
                var scale = name != "output.weight" ? WeightScale : spoken.Contains(tokens[(int)(i / Embedding)].Text) ? SpokenScale : 0;
                w.Write(isNorm ? 1f : (float)((random.NextDouble() * 2 - 1) * scale));
            }

            Pad(w);
        }

        w.Flush();
        return file.ToArray();
    }

    private static long Align(long n) => (n + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        w.Flush();
        while (w.BaseStream.Position % Alignment != 0)
        {
            w.Write((byte)0);
        }
    }

    private static void Key(BinaryWriter w, string key) => Str(w, key);

    private static void Str(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void KvString(BinaryWriter w, string key, string value)
    {
        Key(w, key);
        w.Write(TypeString);
        Str(w, value);
    }

    private static void KvU32(BinaryWriter w, string key, uint value)
    {
        Key(w, key);
        w.Write(TypeUInt32);
        w.Write(value);
    }
}
