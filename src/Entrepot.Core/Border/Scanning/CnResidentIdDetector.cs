namespace Entrepot.Core.Border.Scanning;

/// <summary>PRC resident identity numbers (GB 11643-1999): a six-digit region code, a real date of
/// birth, a sequence number and the mod-11 check character (0-9 or X).</summary>
internal static class CnResidentIdDetector
{
    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        if (start + 18 > s.Length)
        {
            return false;
        }

        var id = s.Slice(start, 18);
        for (int i = 0; i < 17; i++)
        {
            if (!Text.IsDigit(id[i]))
            {
                return false;
            }
        }

        char last = id[17];
        if (!(Text.IsDigit(last) || last is 'X' or 'x') || !Text.BoundaryAfter(s, start + 18) || id[0] is < '1' or > '8')
        {
            return false;
        }

        int year = Num(id[6..10]), month = Num(id[10..12]), day = Num(id[12..14]);
        if (year is < 1900 or > 2100 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        if (!Checksums.Gb11643(id))
        {
            return false;
        }

        e = new Entity(EntityType.CnResidentId, start, start + 18);
        return true;
    }

    private static int Num(ReadOnlySpan<char> d)
    {
        int v = 0;
        foreach (var c in d)
        {
            v = (v * 10) + (c - '0');
        }

        return v;
    }
}
