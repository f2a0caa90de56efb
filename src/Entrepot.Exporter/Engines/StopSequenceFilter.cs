namespace Entrepot.Exporter.Engines;

/// <summary>
/// Applies OpenAI stop sequences to text produced piece by piece: text that might be the start of
/// a stop sequence is held back until it is known not to be; the stop sequence itself is never
/// emitted.
/// </summary>
public sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private readonly System.Text.StringBuilder _held = new();

    public bool Stopped { get; private set; }

    /// <summary>Adds generated text; returns what may be sent now.</summary>
    public string Push(string piece)
    {
        if (Stopped)
        {
            return "";
        }

        if (stops.Count == 0)
        {
            return piece;
        }

        _held.Append(piece);
        var text = _held.ToString();
        var cut = -1;
        foreach (var s in stops)
        {
            var at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut))
            {
                cut = at;
            }
        }

        if (cut >= 0)
        {
            Stopped = true;
            _held.Clear();
            return text[..cut];
        }

        // Keep the longest tail that is a prefix of some stop sequence.
        var keep = 0;
        foreach (var s in stops)
        {
            for (var len = Math.Min(s.Length - 1, text.Length); len > keep; len--)
            {
                if (text.AsSpan(text.Length - len).SequenceEqual(s.AsSpan(0, len)))
                {
                    keep = len;
                    break;
                }
            }
        }

        _held.Clear();
        _held.Append(text, text.Length - keep, keep);
        return text[..^keep];
    }

    /// <summary>The held-back text once generation ends without a stop sequence.</summary>
    public string Flush()
    {
        var rest = Stopped ? "" : _held.ToString();
        _held.Clear();
        return rest;
    }
}
