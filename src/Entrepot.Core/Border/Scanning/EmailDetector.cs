namespace Entrepot.Core.Border.Scanning;

/// <summary>E-mail addresses, anchored at '@': an ASCII local part and a dotted domain whose last
/// label is alphabetic (so "user@localhost" and "@mention" are not addresses).</summary>
internal static class EmailDetector
{
    private const int MaxLocal = 64;
    private const int MaxDomain = 253;

    public static bool TryMatch(ReadOnlySpan<char> s, int at, out Entity e)
    {
        e = default;
        int start = at;
        while (start > 0 && at - start < MaxLocal && IsLocalChar(s[start - 1]))
        {
            start--;
        }

        while (start < at && s[start] is '.' or '-' or '+')
        {
            start++;
        }

        if (start == at || s[at - 1] == '.')
        {
            return false;
        }

        int i = at + 1;
        int labels = 0;
        int lastLabelStart = i;
        bool lastAlpha = false;
        while (i < s.Length && i - at <= MaxDomain)
        {
            int ls = i;
            while (i < s.Length && (Text.IsAlnum(s[i]) || s[i] == '-'))
            {
                i++;
            }

            if (i == ls || s[ls] == '-' || s[i - 1] == '-')
            {
                i = ls;
                break;
            }

            labels++;
            lastLabelStart = ls;
            lastAlpha = IsAlphaLabel(s[ls..i]);
            if (i + 1 < s.Length && s[i] == '.' && Text.IsAlnum(s[i + 1]))
            {
                i++;
                continue;
            }

            break;
        }

        if (labels < 2 || !lastAlpha || i - lastLabelStart < 2 || Text.At(s, i) == '@')
        {
            return false;
        }

        e = new Entity(EntityType.Email, start, i);
        return true;
    }

    private static bool IsLocalChar(char c) => Text.IsAlnum(c) || c is '.' or '_' or '%' or '+' or '-';

    private static bool IsAlphaLabel(ReadOnlySpan<char> label)
    {
        foreach (var c in label)
        {
            if (!Text.IsAsciiLetter(c))
            {
                return false;
            }
        }

        return true;
    }
}
