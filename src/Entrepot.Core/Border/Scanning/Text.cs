namespace Entrepot.Core.Border.Scanning;

/// <summary>Character classes and bounded look-arounds shared by the detectors. Boundaries are
/// ASCII-only on purpose: in Chinese or Japanese text a number follows a letter with no space
/// ("手机13812345678"), and that must still count as a boundary.</summary>
internal static class Text
{
    public static bool IsDigit(char c) => (uint)(c - '0') <= 9;

    public static bool IsAsciiLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';

    public static bool IsUpper(char c) => (uint)(c - 'A') <= 'Z' - 'A';

    public static bool IsAlnum(char c) => IsDigit(c) || IsAsciiLetter(c);

    public static bool IsHex(char c) => IsDigit(c) || (uint)((c | 0x20) - 'a') <= 'f' - 'a';

    /// <summary>Characters of an identifier-like token: API keys, IBANs, passport numbers.</summary>
    public static bool IsTokenChar(char c) => IsAlnum(c) || c is '_' or '-';

    public static bool IsBase64Url(char c) => IsAlnum(c) || c is '_' or '-';

    public static char At(ReadOnlySpan<char> s, int i) => (uint)i < (uint)s.Length ? s[i] : '\0';

    /// <summary>True when a word or number does not continue before <paramref name="start"/>.</summary>
    public static bool BoundaryBefore(ReadOnlySpan<char> s, int start)
    {
        char p = At(s, start - 1);
        return !IsAlnum(p) && p != '_';
    }

    /// <summary>True when nothing number- or word-like continues at <paramref name="end"/>: a
    /// sentence's full stop may follow, a further digit group may not.</summary>
    public static bool BoundaryAfter(ReadOnlySpan<char> s, int end)
    {
        char n = At(s, end);
        if (IsAlnum(n) || n == '_')
        {
            return false;
        }

        return !(n is '.' or ',' or '-' && IsDigit(At(s, end + 1)));
    }

    /// <summary>Whether one of <paramref name="keywords"/> occurs (case-insensitively) in the
    /// <paramref name="window"/> characters before <paramref name="pos"/>.</summary>
    public static bool KeywordBefore(ReadOnlySpan<char> s, int pos, int window, ReadOnlySpan<string> keywords)
    {
        int from = Math.Max(0, pos - window);
        var w = s[from..pos];
        foreach (var k in keywords)
        {
            int at = 0;
            while (at < w.Length)
            {
                int i = w[at..].IndexOf(k, StringComparison.OrdinalIgnoreCase);
                if (i < 0)
                {
                    break;
                }

                i += at;
                // A Latin keyword must start a word: "Tel." yes, "Bestellung" no.
                if (!char.IsAsciiLetter(k[0]) || !char.IsLetter(At(s, from + i - 1)))
                {
                    return true;
                }

                at = i + 1;
            }
        }

        return false;
    }

    public static int CountDigits(ReadOnlySpan<char> s)
    {
        int n = 0;
        foreach (var c in s)
        {
            if (IsDigit(c))
            {
                n++;
            }
        }

        return n;
    }
}
