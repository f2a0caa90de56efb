using System.Buffers;
using System.Numerics;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Entrepot.Core.Metering;

/// <summary>
/// Counts the tokens of a tiktoken encoding without keeping the library's tokenizer: every token's
/// bytes in one array and an open-addressed table from bytes to rank (about 4 MB for o200k_base),
/// with the encoding's own pre-tokenizer. The library's tokenizer keeps about 45 MB in three
/// dictionaries and 400,000 small objects, and the collector sizes its allocation budget to the live
/// heap: with it loaded the exchange's peak memory under load was twice what it is without
/// (docs/PERFORMANCE.md). The count is the library's to the token (tests compare them).
/// </summary>
public sealed class BytePairCounter
{
    /// <summary>Pieces longer than this merge through a heap, in n log n, so a buyer's one long word
    /// cannot make counting quadratic.</summary>
    internal const int ShortPiece = 64;

    private readonly byte[] _bytes;
    private readonly int[] _starts;  // entry -> start in _bytes; entry + 1 -> its end
    private readonly int[] _ranks;   // entry -> rank
    private readonly int[] _slots;   // open addressing: entry + 1, 0 empty
    private readonly int _mask;
    private readonly PreTokenizer _preTokenizer;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _special;
    private readonly bool _hasSpecial;
    private readonly int _heapFrom;

    private BytePairCounter(byte[] bytes, int[] starts, int[] ranks, int[] slots, PreTokenizer preTokenizer, HashSet<string> special, int heapFrom)
    {
        _bytes = bytes;
        _starts = starts;
        _ranks = ranks;
        _slots = slots;
        _mask = slots.Length - 1;
        _preTokenizer = preTokenizer;
        _special = special.GetAlternateLookup<ReadOnlySpan<char>>();
        _hasSpecial = special.Count > 0;
        _heapFrom = heapFrom;
    }

    /// <summary>
    /// The counter of a tiktoken encoding ("o200k_base", "cl100k_base"): the vocabulary read from the
    /// library's data package as the library reads it (deflated, a token a line in base64), the
    /// pre-tokenizer and special tokens of the library's tokenizer for a model of that encoding, made
    /// over a one-token vocabulary so that its own copy of the vocabulary is never loaded (the library
    /// keeps what it loads in a static cache for the life of the process).
    /// </summary>
    public static BytePairCounter ForEncoding(string encoding, int heapFrom = ShortPiece)
    {
        var (package, model) = encoding switch
        {
            "o200k_base" => ("Microsoft.ML.Tokenizers.Data.O200kBase", "gpt-4o"),
            "cl100k_base" => ("Microsoft.ML.Tokenizers.Data.Cl100kBase", "gpt-4"),
            _ => throw new ArgumentException($"No tiktoken vocabulary '{encoding}' here.", nameof(encoding)),
        };
        using var deflated = System.Reflection.Assembly.Load(package).GetManifestResourceStream(encoding + ".tiktoken.deflate")
            ?? throw new InvalidOperationException($"The package {package} has no {encoding} vocabulary.");
        using var vocabulary = new System.IO.Compression.DeflateStream(deflated, System.IO.Compression.CompressionMode.Decompress);
        using var oneToken = new MemoryStream("IQ== 0\n"u8.ToArray());
        var shape = TiktokenTokenizer.CreateForModel(model, oneToken);
        return From(vocabulary, shape.PreTokenizer ?? throw new InvalidOperationException("The tokenizer has no pre-tokenizer."), shape.SpecialTokens, heapFrom);
    }

    /// <summary>The counter of a vocabulary in tiktoken's format (a line per token: its bytes in
    /// base64, then a space and its rank, or no rank when it is the line's place).</summary>
    internal static BytePairCounter From(Stream vocabulary, PreTokenizer preTokenizer, IReadOnlyDictionary<string, int>? specialTokens, int heapFrom = ShortPiece)
    {
        var bytes = new List<byte>(2_000_000);
        var starts = new List<int>(210_000);
        var ranks = new List<int>(210_000);
        using (var reader = new StreamReader(vocabulary, Encoding.ASCII))
        {
            Span<byte> token = stackalloc byte[512];
            var next = 0;
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0 || line.StartsWith("Capacity:", StringComparison.Ordinal))
                {
                    continue; // the data package's first line sizes the library's tables
                }

                // "base64 rank" (tiktoken's files), or "base64" with the rank the line's place (the package's).
                var space = line.IndexOf(' ', StringComparison.Ordinal);
                var rank = next;
                if (!Convert.TryFromBase64Chars(space < 0 ? line : line.AsSpan(0, space), token, out var length) ||
                    (space > 0 && !int.TryParse(line.AsSpan(space + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out rank)))
                {
                    throw new InvalidDataException($"Not a tiktoken vocabulary line: '{line}'.");
                }

                next = rank + 1;
                starts.Add(bytes.Count);
                ranks.Add(rank);
                bytes.AddRange(token[..length]);
            }
        }

        starts.Add(bytes.Count);
        var all = bytes.ToArray();
        var startArray = starts.ToArray();
        var slots = new int[(int)BitOperations.RoundUpToPowerOf2((uint)ranks.Count * 2)];
        var mask = slots.Length - 1;
        for (var entry = 0; entry < ranks.Count; entry++)
        {
            var slot = Hash(all.AsSpan(startArray[entry], startArray[entry + 1] - startArray[entry])) & mask;
            while (slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            slots[slot] = entry + 1;
        }

        // Only whether a piece is one matters to a count (each is one token), not its id.
        var special = new HashSet<string>(specialTokens?.Keys ?? [], StringComparer.Ordinal);

        return new BytePairCounter(all, startArray, ranks.ToArray(), slots, preTokenizer, special, heapFrom);
    }

    /// <summary>Tokens in <paramref name="text"/>, as the library's <c>CountTokens</c> counts them.</summary>
    public int Count(string text)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        var n = 0;
        byte[]? rented = null;
        Span<byte> buffer = stackalloc byte[256];
        foreach (var (offset, length) in _preTokenizer.PreTokenize(text))
        {
            var piece = text.AsSpan(offset, length);
            if (_hasSpecial && piece.Length > 2 && piece[0] == '<' && _special.Contains(piece))
            {
                n++;
                continue;
            }

            var size = piece.Length * 3; // UTF-8's worst case, a surrogate pair's 4 bytes being 2 chars
            if (size > buffer.Length)
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented);
                }

                rented = ArrayPool<byte>.Shared.Rent(size);
                buffer = rented;
            }

            var written = piece.ContainsAnyInRange('\ud800', '\udfff') ? Utf8WithLoneSurrogates(piece, buffer) : Encoding.UTF8.GetBytes(piece, buffer);
            n += CountPiece(buffer[..written]);
        }

        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return n;
    }

    /// <summary>UTF-8, except that a lone surrogate is written as its own three bytes (as the library
    /// does) rather than as the replacement character, which is a token of its own.</summary>
    private static int Utf8WithLoneSurrogates(ReadOnlySpan<char> text, Span<byte> into)
    {
        var n = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                n += Encoding.UTF8.GetBytes(text.Slice(i, 2), into[n..]);
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                into[n++] = (byte)(0xE0 | (c >> 12));
                into[n++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                into[n++] = (byte)(0x80 | (c & 0x3F));
            }
            else
            {
                n += Encoding.UTF8.GetBytes(text.Slice(i, 1), into[n..]);
            }
        }

        return n;
    }

    /// <summary>Tokens the byte-pair merges leave of one pre-tokenized piece.</summary>
    internal int CountPiece(ReadOnlySpan<byte> piece)
    {
        if (piece.Length <= 1)
        {
            return piece.Length; // every single byte is a token
        }

        if (Rank(piece) >= 0)
        {
            return 1;
        }

        return piece.Length <= _heapFrom ? MergeShort(piece) : MergeLong(piece);
    }

    /// <summary>The encoding's rule, as written: merge the adjacent pair of lowest rank (the leftmost
    /// of equals) until no pair is a token. Quadratic, for short pieces.</summary>
    private int MergeShort(ReadOnlySpan<byte> piece)
    {
        var n = piece.Length;
        Span<int> start = stackalloc int[n + 1];
        Span<int> pair = stackalloc int[n];
        for (var i = 0; i <= n; i++)
        {
            start[i] = i;
        }

        var parts = n;
        for (var i = 0; i < parts - 1; i++)
        {
            pair[i] = RankOrMax(piece[start[i]..start[i + 2]]);
        }

        while (parts > 1)
        {
            var best = int.MaxValue;
            var at = -1;
            for (var i = 0; i < parts - 1; i++)
            {
                if (pair[i] < best)
                {
                    best = pair[i];
                    at = i;
                }
            }

            if (at < 0)
            {
                break;
            }

            // Parts at and at + 1 become one: its boundary goes, and the pairs either side are ranked again.
            start[(at + 2)..(parts + 1)].CopyTo(start[(at + 1)..]);
            if (at + 1 < parts - 1)
            {
                pair[(at + 2)..(parts - 1)].CopyTo(pair[(at + 1)..]);
            }

            parts--;
            pair[at] = at + 1 < parts ? RankOrMax(piece[start[at]..start[at + 2]]) : int.MaxValue;
            if (at > 0)
            {
                pair[at - 1] = RankOrMax(piece[start[at - 1]..start[at + 1]]);
            }
        }

        return parts;
    }

    /// <summary>The same merges in the same order, for long pieces: parts in a linked list and the
    /// candidate pairs in a heap ordered by (rank, position), so the leftmost of equal ranks goes
    /// first as above; a pair that merging has changed is recognised and skipped when it surfaces.</summary>
    private int MergeLong(ReadOnlySpan<byte> piece)
    {
        var n = piece.Length;
        var next = new int[n + 1]; // part starting at p ends at next[p]; -1: p is no longer a start
        var prev = new int[n + 1];
        for (var i = 0; i <= n; i++)
        {
            next[i] = i + 1;
            prev[i] = i - 1;
        }

        var heap = new PriorityQueue<(int Start, int End), (int Rank, int Start)>();
        for (var i = 0; i + 2 <= n; i++)
        {
            Push(heap, piece, i, i + 2);
        }

        var parts = n;
        while (heap.TryDequeue(out var pairAt, out _))
        {
            var (p, end) = pairAt;
            if (next[p] < 0 || next[p] >= n || next[next[p]] != end)
            {
                continue; // one of its parts has merged since
            }

            var q = next[p];
            next[p] = end;
            next[q] = -1;
            prev[end] = p;
            parts--;
            if (prev[p] >= 0)
            {
                Push(heap, piece, prev[p], end);
            }

            if (end < n)
            {
                Push(heap, piece, p, next[end]);
            }
        }

        return parts;
    }

    private void Push(PriorityQueue<(int, int), (int, int)> heap, ReadOnlySpan<byte> piece, int start, int end)
    {
        var rank = Rank(piece[start..end]);
        if (rank >= 0)
        {
            heap.Enqueue((start, end), (rank, start));
        }
    }

    private int RankOrMax(ReadOnlySpan<byte> bytes) => Rank(bytes) is var r and >= 0 ? r : int.MaxValue;

    /// <summary>The rank of a token's bytes, or -1 when they are not a token.</summary>
    private int Rank(ReadOnlySpan<byte> bytes)
    {
        var slot = Hash(bytes) & _mask;
        while (_slots[slot] is var e and not 0)
        {
            var entry = e - 1;
            var start = _starts[entry];
            if (_starts[entry + 1] - start == bytes.Length && bytes.SequenceEqual(_bytes.AsSpan(start, bytes.Length)))
            {
                return _ranks[entry];
            }

            slot = (slot + 1) & _mask;
        }

        return -1;
    }

    /// <summary>Seeded per process: the table's layout is nothing a buyer can aim at.</summary>
    private static int Hash(ReadOnlySpan<byte> bytes)
    {
        var h = new HashCode();
        h.AddBytes(bytes);
        return h.ToHashCode() & int.MaxValue;
    }

    /// <summary>Memory the counter holds, in bytes (for docs and tests).</summary>
    public long Footprint => _bytes.Length + (_starts.Length + _ranks.Length + _slots.Length) * (long)sizeof(int);
}
