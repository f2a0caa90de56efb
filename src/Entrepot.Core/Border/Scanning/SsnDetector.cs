namespace Entrepot.Core.Border.Scanning;

/// <summary>US Social Security numbers: AAA-GG-SSSS (or with spaces) under the SSA's allocation
/// rules (area not 000, 666 or 9xx; group not 00; serial not 0000); nine plain digits only right
/// after "SSN" or "social security".</summary>
internal static class SsnDetector
{
    private static readonly string[] Keywords = ["ssn", "social security", "soc. sec", "sozialversicherungsnummer (us"];

    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        if (start + 11 <= s.Length)
        {
            var c = s.Slice(start, 11);
            char sep = c[3];
            if (sep is '-' or ' ' && c[6] == sep && AllDigits(c[..3]) && AllDigits(c[4..6]) && AllDigits(c[7..]) &&
                Text.BoundaryAfter(s, start + 11) && Valid(c[..3], c[4..6], c[7..]))
            {
                e = new Entity(EntityType.UsSsn, start, start + 11);
                return true;
            }
        }

        if (start + 9 <= s.Length && AllDigits(s.Slice(start, 9)) && !Text.IsDigit(Text.At(s, start + 9)) &&
            Text.BoundaryAfter(s, start + 9) && Text.KeywordBefore(s, start, 24, Keywords))
        {
            var c = s.Slice(start, 9);
            if (Valid(c[..3], c[3..5], c[5..]))
            {
                e = new Entity(EntityType.UsSsn, start, start + 9);
                return true;
            }
        }

        return false;
    }

    private static bool Valid(ReadOnlySpan<char> area, ReadOnlySpan<char> group, ReadOnlySpan<char> serial) =>
        area is not "000" and not "666" && area[0] != '9' && group is not "00" && serial is not "0000";

    private static bool AllDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!Text.IsDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
