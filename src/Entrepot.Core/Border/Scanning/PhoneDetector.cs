namespace Entrepot.Core.Border.Scanning;

/// <summary>Telephone numbers: international (+CC or 00CC, E.164's 8-15 digits) and the national
/// shapes people write: US (NXX) NXX-XXXX, trunk-prefix numbers in groups (030 1234 5678,
/// 01 23 45 67 89, 03-1234-5678), Chinese mobiles (1[3-9] and nine digits). Any 7-15 digit number
/// right after a phone word ("Tel.", "手机", "телефон"...) counts too. Dates, versions and order
/// numbers fail these shapes.</summary>
internal static class PhoneDetector
{
    private static readonly string[] Keywords =
    [
        "tel", "phone", "mobile", "cell", "fax", "call", "whatsapp", "telefon", "handy", "rufnummer", "téléphone", "tél",
        "portable", "teléfono", "móvil", "telefono", "cellulare", "电话", "手机", "电話", "電話", "携帯", "телефон", "тел", "전화",
    ];

    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        Span<int> groups = stackalloc int[8];
        int g = 0, digits = 0, len = 0, i = start;
        bool plus = s[i] == '+', paren = false, dot = false, otherSep = false;
        char first = '\0', second = '\0';
        if (plus)
        {
            i++;
        }

        int lastDigitEnd = -1;
        while (i < s.Length)
        {
            char c = s[i];
            if (Text.IsDigit(c))
            {
                if (digits == 0)
                {
                    first = c;
                }
                else if (digits == 1)
                {
                    second = c;
                }

                digits++;
                len++;
                i++;
                lastDigitEnd = i;
                if (digits > 15)
                {
                    return false;
                }

                continue;
            }

            int sepStart = i;
            int k = i;
            while (k < s.Length && k - sepStart < 3 && s[k] is ' ' or '-' or '.' or '(' or ')' or '/')
            {
                k++;
            }

            if (k == sepStart || !Text.IsDigit(Text.At(s, k)) || (len == 0 && s[sepStart] != '('))
            {
                break;
            }

            var sep = s[sepStart..k];
            if (sep.Contains(' ') && sep.IndexOf(' ') != sep.LastIndexOf(' '))
            {
                break;
            }

            paren |= sep.Contains('(') || sep.Contains(')');
            dot |= sep.Contains('.');
            otherSep |= sep.ContainsAny('-', '/', ' ');
            if (len > 0)
            {
                if (g == groups.Length - 1)
                {
                    break;
                }

                groups[g++] = len;
            }

            len = 0;
            i = k;
        }

        if (lastDigitEnd < 0)
        {
            return false;
        }

        groups[g++] = len;
        int end = lastDigitEnd;
        if (!Text.BoundaryAfter(s, end) || Text.At(s, end) == ':')
        {
            return false;
        }

        var gs = groups[..g];
        bool ok;
        if (plus)
        {
            ok = digits is >= 8 and <= 15 && first != '0';
        }
        else if (first == '0' && second == '0')
        {
            ok = digits is >= 10 and <= 15 && g >= 2;
        }
        else if (first == '0')
        {
            ok = digits is >= 9 and <= 12 && g >= 2 && MinGroup(gs) >= 2 && (!dot || AllTwos(gs) || otherSep);
        }
        else if (first == '1' && second is >= '3' and <= '9' && digits == 11 && !dot)
        {
            ok = g == 1 || (g == 3 && gs[0] == 3 && gs[1] == 4) || (g == 2 && gs[0] == 3);
        }
        else
        {
            ok = IsNanp(gs, first, s[start] == '(' || paren) && (!dot || g == 3);
        }

        if (!ok && digits is >= 7 and <= 15 && Text.KeywordBefore(s, start, 20, Keywords))
        {
            ok = true;
        }

        if (!ok)
        {
            return false;
        }

        e = new Entity(EntityType.Phone, start, end);
        return true;
    }

    private static bool IsNanp(ReadOnlySpan<int> gs, char first, bool paren)
    {
        if (gs.Length == 3 && gs[0] == 3 && gs[1] == 3 && gs[2] == 4)
        {
            return first is >= '2' and <= '9';
        }

        return gs.Length == 4 && gs[0] == 1 && first == '1' && gs[1] == 3 && gs[2] == 3 && gs[3] == 4 && !paren;
    }

    private static int MinGroup(ReadOnlySpan<int> gs)
    {
        int m = int.MaxValue;
        foreach (var x in gs)
        {
            m = Math.Min(m, x);
        }

        return m;
    }

    private static bool AllTwos(ReadOnlySpan<int> gs)
    {
        foreach (var x in gs)
        {
            if (x != 2)
            {
                return false;
            }
        }

        return true;
    }
}
