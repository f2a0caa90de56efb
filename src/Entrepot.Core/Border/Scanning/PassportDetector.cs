namespace Entrepot.Core.Border.Scanning;

/// <summary>Passport numbers have no public checksum and many shapes, so a number only counts when
/// a passport word precedes it in the same sentence: 6-9 upper-case letters and digits with at
/// least five digits (C01X00T47, E12345678, 123456789).</summary>
internal static class PassportDetector
{
    private static readonly string[] Keywords =
    [
        "passport", "reisepass", "pass-nr", "passnummer", "passeport", "pasaporte", "passaporto", "paspoort",
        "护照", "護照", "パスポート", "旅券", "паспорт", "여권",
    ];

    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        int i = start, digits = 0;
        while (i < s.Length && (Text.IsDigit(s[i]) || Text.IsUpper(s[i])) && i - start < 10)
        {
            if (Text.IsDigit(s[i]))
            {
                digits++;
            }

            i++;
        }

        int len = i - start;
        if (len is < 6 or > 9 || digits < 5 || !Text.BoundaryAfter(s, i) || !Text.BoundaryBefore(s, start))
        {
            return false;
        }

        int from = Math.Max(0, start - 40);
        var window = s[from..start];
        int cut = window.LastIndexOfAny('\n', '。', '!');
        if (cut >= 0)
        {
            window = window[(cut + 1)..];
        }

        foreach (var k in Keywords)
        {
            if (window.Contains(k, StringComparison.OrdinalIgnoreCase))
            {
                e = new Entity(EntityType.Passport, start, i);
                return true;
            }
        }

        return false;
    }
}
