namespace Entrepot.Core.Metering;

/// <summary>
/// Token counts of texts seen recently, keyed by the whole text (exact: no hash a buyer could make
/// collide), in two generations of at most <c>maxChars</c> characters each: a hit moves an entry to
/// the current one, and when the current one is full the older is dropped. System prompts and
/// conversation history come back with every turn, and counting them again costs tens of
/// microseconds a kilobyte (docs/PERFORMANCE.md).
/// </summary>
public sealed class TokenCountCache(long maxChars = 2 * 1024 * 1024)
{
    private readonly Lock _gate = new();
    private Dictionary<string, int> _current = new(StringComparer.Ordinal);
    private Dictionary<string, int> _previous = new(StringComparer.Ordinal);
    private long _currentChars;

    public int Count(string text, Func<string, int> count)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        lock (_gate)
        {
            if (_current.TryGetValue(text, out var n))
            {
                return n;
            }

            if (_previous.Remove(text, out n))
            {
                Add(text, n);
                return n;
            }
        }

        var counted = count(text);
        lock (_gate)
        {
            Add(text, counted);
        }

        return counted;
    }

    private void Add(string text, int n)
    {
        if (text.Length > maxChars / 4)
        {
            return; // one huge text would evict everything else
        }

        if (_currentChars + text.Length > maxChars)
        {
            _previous = _current;
            _current = new Dictionary<string, int>(StringComparer.Ordinal);
            _currentChars = 0;
        }

        if (_current.TryAdd(text, n))
        {
            _currentChars += text.Length;
        }
    }
}
