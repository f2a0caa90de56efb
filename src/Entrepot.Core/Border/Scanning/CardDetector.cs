namespace Entrepot.Core.Border.Scanning;

/// <summary>Payment card numbers: 13-19 digits, plain or grouped by one kind of separator in the
/// groupings issuers print (4-4-4-4[-3], 4-6-5, 4-6-4), a known issuer prefix and a valid Luhn
/// check digit. The longest valid prefix of the digit groups wins, so an expiry date written after
/// the number is not swallowed.</summary>
internal static class CardDetector
{
    /// <paramref name="shapeEnd"/>: where a run of four-digit groups long enough to be a card ends,
    /// even when its check fails, so a mistyped card is not read as a phone number.
    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e, out int shapeEnd)
    {
        e = default;
        shapeEnd = start;
        Span<char> digits = stackalloc char[19];
        Span<int> groupEnds = stackalloc int[8];
        Span<int> groupLens = stackalloc int[8];
        int n = 0, groups = 0, len = 0;
        char sep = '\0';
        int i = start;
        while (i < s.Length)
        {
            char c = s[i];
            if (Text.IsDigit(c))
            {
                if (n == 19)
                {
                    return false;
                }

                digits[n++] = c;
                len++;
                i++;
                continue;
            }

            if ((c == ' ' || c == '-') && len > 0 && Text.IsDigit(Text.At(s, i + 1)) && (sep == '\0' || sep == c) && groups < 7)
            {
                sep = c;
                groupEnds[groups] = i;
                groupLens[groups++] = len;
                len = 0;
                i++;
                continue;
            }

            break;
        }

        groupEnds[groups] = i;
        groupLens[groups++] = len;
        if (n >= 13 && groups >= 3 && groupLens[0] == 4)
        {
            shapeEnd = i;
        }

        for (int g = groups; g >= 1; g--)
        {
            int count = 0;
            for (int k = 0; k < g; k++)
            {
                count += groupLens[k];
            }

            if (count is < 13 or > 19 || (g == groups && Text.IsAsciiLetter(Text.At(s, i))))
            {
                continue;
            }

            int end = groupEnds[g - 1];
            if (!Text.BoundaryAfter(s, end) && g == groups)
            {
                continue;
            }

            if (!Grouping(groupLens[..g], count) || !IssuerKnown(digits[..count]) || !Checksums.Luhn(digits[..count]))
            {
                continue;
            }

            e = new Entity(EntityType.PaymentCard, start, end);
            return true;
        }

        return false;
    }

    private static bool Grouping(ReadOnlySpan<int> lens, int count)
    {
        if (lens.Length == 1)
        {
            return true;
        }

        if (lens.Length == 3 && lens[0] == 4 && lens[1] == 6 && lens[2] is 4 or 5)
        {
            return true;
        }

        for (int k = 0; k < lens.Length - 1; k++)
        {
            if (lens[k] != 4)
            {
                return false;
            }
        }

        return lens[^1] is >= 1 and <= 4 && count >= 13;
    }

    private static bool IssuerKnown(ReadOnlySpan<char> d)
    {
        int p2 = ((d[0] - '0') * 10) + (d[1] - '0');
        int p3 = (p2 * 10) + (d[2] - '0');
        int p4 = (p3 * 10) + (d[3] - '0');
        int n = d.Length;
        return d[0] switch
        {
            '4' => n is 13 or 16 or 19,
            '5' => p2 is >= 51 and <= 55 && n == 16,
            '2' => (p4 is >= 2221 and <= 2720 && n == 16) || (p4 is >= 2200 and <= 2204 && n >= 16),
            '3' => (p2 is 34 or 37 && n == 15) || (p4 is >= 3528 and <= 3589 && n >= 16) || ((p3 is >= 300 and <= 305 || p2 is 36 or 38 or 39) && n >= 14),
            '6' => (p4 == 6011 || p2 == 65 || p3 is >= 644 and <= 649 || p2 == 62) && n >= 16,
            _ => false,
        };
    }
}
