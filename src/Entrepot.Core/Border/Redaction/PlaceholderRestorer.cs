using System.Text;

namespace Entrepot.Core.Border.Redaction;

/// <summary>
/// Puts the original values back into an answer. Text arrives in pieces (stream deltas) and a
/// placeholder can be split across them ("[EMA" + "IL_1]"), so a tail that could still become a
/// placeholder is held back until the next piece decides it, and released at the end. Unknown
/// bracketed text passes through unchanged.
/// </summary>
public sealed class PlaceholderRestorer(IReadOnlyDictionary<string, string> mapping)
{
    private readonly StringBuilder _held = new();
    private readonly int _maxLength = mapping.Count == 0 ? 0 : mapping.Keys.Max(k => k.Length);

    public int Restored { get; private set; }

    /// <summary>Restores a whole text (non-streaming answers).</summary>
    public string Restore(string text) => Push(text) + Flush();

    /// <summary>Takes the next piece; returns what can be emitted now.</summary>
    public string Push(string piece)
    {
        if (_maxLength == 0)
        {
            return piece;
        }

        _held.Append(piece);
        var text = _held.ToString();
        int cut = HoldFrom(text);
        _held.Clear();
        _held.Append(text, cut, text.Length - cut);
        return Replace(text[..cut]);
    }

    /// <summary>Emits whatever is still held (end of the answer).</summary>
    public string Flush()
    {
        var text = _held.ToString();
        _held.Clear();
        return Replace(text);
    }

    /// <summary>Where a possible unfinished placeholder starts at the end of <paramref name="text"/>.</summary>
    private int HoldFrom(string text)
    {
        int open = text.LastIndexOf('[');
        if (open < 0 || text.IndexOf(']', open) >= 0 || text.Length - open >= _maxLength)
        {
            return text.Length;
        }

        var tail = text.AsSpan(open);
        foreach (var key in mapping.Keys)
        {
            if (key.AsSpan().StartsWith(tail, StringComparison.Ordinal))
            {
                return open;
            }
        }

        return text.Length;
    }

    private string Replace(string text)
    {
        if (text.IndexOf('[', StringComparison.Ordinal) < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        int at = 0;
        while (at < text.Length)
        {
            int open = text.IndexOf('[', at);
            if (open < 0)
            {
                break;
            }

            int close = text.IndexOf(']', open);
            if (close < 0)
            {
                break;
            }

            sb.Append(text, at, open - at);
            var candidate = text.Substring(open, close - open + 1);
            if (mapping.TryGetValue(candidate, out var original))
            {
                sb.Append(original);
                Restored++;
                at = close + 1;
            }
            else
            {
                sb.Append('[');
                at = open + 1;
            }
        }

        sb.Append(text, at, text.Length - at);
        return sb.ToString();
    }
}
