using System.Collections.Frozen;

namespace Entrepot.Core.Border.Scanning;

/// <summary>IBANs (ISO 13616): country code, two check digits and the national account number, to
/// the exact length registered for the country, compact or printed in groups of four; the mod-97
/// check must hold.</summary>
internal static class IbanDetector
{
    // Lengths from the SWIFT IBAN registry (release 2024), for the countries whose IBANs are common.
    private static readonly FrozenDictionary<string, int> Lengths = new Dictionary<string, int>
    {
        ["AD"] = 24, ["AE"] = 23, ["AT"] = 20, ["AZ"] = 28, ["BA"] = 20, ["BE"] = 16, ["BG"] = 22, ["BH"] = 22,
        ["BR"] = 29, ["CH"] = 21, ["CY"] = 28, ["CZ"] = 24, ["DE"] = 22, ["DK"] = 18, ["DO"] = 28, ["EE"] = 20,
        ["EG"] = 29, ["ES"] = 24, ["FI"] = 18, ["FO"] = 18, ["FR"] = 27, ["GB"] = 22, ["GE"] = 22, ["GI"] = 23,
        ["GL"] = 18, ["GR"] = 27, ["HR"] = 21, ["HU"] = 28, ["IE"] = 22, ["IL"] = 23, ["IS"] = 26, ["IT"] = 27,
        ["JO"] = 30, ["KW"] = 30, ["KZ"] = 20, ["LB"] = 28, ["LI"] = 21, ["LT"] = 20, ["LU"] = 20, ["LV"] = 21,
        ["MC"] = 27, ["MD"] = 24, ["ME"] = 22, ["MK"] = 19, ["MT"] = 31, ["MU"] = 30, ["NL"] = 18, ["NO"] = 15,
        ["PK"] = 24, ["PL"] = 28, ["PS"] = 29, ["PT"] = 25, ["QA"] = 29, ["RO"] = 24, ["RS"] = 22, ["SA"] = 24,
        ["SE"] = 24, ["SI"] = 19, ["SK"] = 24, ["SM"] = 27, ["TN"] = 24, ["TR"] = 26, ["UA"] = 29, ["VG"] = 24,
        ["XK"] = 20,
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> ByCode =
        Lengths.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary><paramref name="start"/> is the first letter of the country code.</summary>
    /// <paramref name="shapeEnd"/> is where an IBAN-shaped run ends even when its check fails, so
    /// that the scanner does not read the rest of a mistyped IBAN as a phone number.
    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e, out int shapeEnd)
    {
        e = default;
        shapeEnd = start;
        if (start + 15 > s.Length || !Text.IsUpper(s[start]) || !Text.IsUpper(s[start + 1]) ||
            !Text.IsDigit(s[start + 2]) || !Text.IsDigit(s[start + 3]) || !ByCode.TryGetValue(s.Slice(start, 2), out int length))
        {
            return false;
        }

        Span<char> compact = stackalloc char[34];
        int n = 0, i = start;
        while (i < s.Length && n < length)
        {
            char c = s[i];
            if (Text.IsDigit(c) || Text.IsUpper(c))
            {
                compact[n++] = c;
                i++;
            }
            else if (c == ' ' && n % 4 == 0 && n > 0 && Text.IsAlnum(Text.At(s, i + 1)))
            {
                i++;
            }
            else
            {
                break;
            }
        }

        shapeEnd = i;
        if (n != length || !Text.BoundaryAfter(s, i) || !Checksums.IbanMod97(compact[..n]))
        {
            return false;
        }

        e = new Entity(EntityType.Iban, start, i);
        return true;
    }
}
