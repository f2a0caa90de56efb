using System.Globalization;

namespace Entrepot.Core.Border.Scanning;

/// <summary>Precise coordinates, as 28 CFR 202.242 counts them (1,000 m or finer): a latitude/longitude
/// pair in decimal degrees with at least three decimals each (about 110 m), or two (about 1.1 km)
/// when the text labels it a position (lat/lon, coordinates, location, GPS, position and their
/// German, French, Spanish, Chinese, Japanese and Russian words); optionally with degree signs,
/// hemisphere letters and "lon"/"lng" labels between; or degrees-minutes-seconds with hemispheres.
/// A single decimal number, or an unlabelled pair rounded to a town ("48.85, 2.35"), is not.</summary>
internal static class GeoDetector
{
    private const int MinDecimals = 3, MinLabelledDecimals = 2;

    /// <summary>Words that label a pair of numbers as a position (looked for just before it).</summary>
    private static readonly string[] PositionLabels =
    [
        "lat", "latitude", "coordinates", "coordinate", "coords", "location", "position", "gps", "geo",
        "koordinaten", "standort", "breite", "coordonnées", "localisation", "coordenadas", "ubicación", "posición",
        "纬度", "緯度", "坐标", "座標", "位置", "координаты", "широта", "местоположение",
    ];
    private static readonly string[] SecondLabels = ["longitude", "longitud", "länge", "long", "lon", "lng", "经度", "經度", "経度", "долгота"];

    public static bool TryMatch(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        return TryDecimalPair(s, start, out e) || TryDms(s, start, out e);
    }

    private static bool TryDecimalPair(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        if (!TryDecimal(s, start, out double a, out int i, out char ha, out int decimalsA))
        {
            return false;
        }

        int afterFirst = i;
        bool sepSeen = false, labelled = false;
        while (i < s.Length && i - afterFirst < 4 && s[i] is ' ' or ',' or ';' or '/' or '\t' or '，' or '、' or '；')
        {
            sepSeen = true;
            i++;
        }

        int quote = Text.At(s, i) == '"' ? 1 : 0;
        foreach (var label in SecondLabels)
        {
            if (s[(i + quote)..].StartsWith(label, StringComparison.OrdinalIgnoreCase) && !Text.IsAsciiLetter(Text.At(s, i + quote + label.Length)))
            {
                i += quote + label.Length;
                while (i < s.Length && s[i] is ' ' or ':' or '=' or '.' or '"' or '：')
                {
                    i++;
                }

                sepSeen = true;
                labelled = true;
                break;
            }
        }

        if (!sepSeen || !TryDecimal(s, i, out double b, out int end, out char hb, out int decimalsB))
        {
            return false;
        }

        var decimals = Math.Min(decimalsA, decimalsB);
        if (decimals < MinDecimals && !(labelled || LabelledBefore(s, start)))
        {
            return false;
        }

        if (ha is 'E' or 'W' or 'O' || hb is 'N' or 'S')
        {
            (a, b) = (b, a);
        }

        if (Math.Abs(a) > 90 || Math.Abs(b) > 180 || !Text.BoundaryAfter(s, end))
        {
            return false;
        }

        e = new Entity(EntityType.GeoCoordinates, start, end);
        return true;
    }

    /// <summary>Whether a position word ends within a few characters before <paramref name="start"/>
    /// ("lat: 48.85, 2.35", "GPS 48.85 2.35", "\"location\": [48.85, 2.35]").</summary>
    private static bool LabelledBefore(ReadOnlySpan<char> s, int start)
    {
        var from = Math.Max(0, start - 24);
        var before = s[from..start];
        foreach (var label in PositionLabels)
        {
            var at = before.LastIndexOf(label, StringComparison.OrdinalIgnoreCase);
            if (at < 0 || (label[0] < 128 && Text.IsAsciiLetter(Text.At(before, at - 1))))
            {
                continue;
            }

            // Only separators, quotes, brackets and a label's punctuation between the word and the number.
            var gap = before[(at + label.Length)..];
            var plain = true;
            foreach (var c in gap)
            {
                if (!(c is ' ' or ':' or '=' or '"' or '\'' or '[' or '(' or '{' or ',' or '：' or '\t' || (label[0] < 128 && char.IsAsciiLetter(c) && gap.Length < 4)))
                {
                    plain = false;
                    break;
                }
            }

            if (plain)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>[-]ddd.dd[dd][°][ ][NSEWO]; the hemisphere letter sets the sign.</summary>
    private static bool TryDecimal(ReadOnlySpan<char> s, int start, out double value, out int end, out char hemisphere, out int decimals)
    {
        decimals = 0;
        value = 0;
        hemisphere = '\0';
        end = start;
        int i = start;
        if (Text.At(s, i) == '-')
        {
            i++;
        }

        int intStart = i;
        while (i < s.Length && Text.IsDigit(s[i]) && i - intStart < 4)
        {
            i++;
        }

        if (i == intStart || i - intStart > 3 || Text.At(s, i) != '.')
        {
            return false;
        }

        i++;
        int fracStart = i;
        while (i < s.Length && Text.IsDigit(s[i]) && i - fracStart < 12)
        {
            i++;
        }

        decimals = i - fracStart;
        if (decimals < MinLabelledDecimals || Text.IsDigit(Text.At(s, i)) || Text.At(s, i) == '.' && Text.IsDigit(Text.At(s, i + 1)))
        {
            return false;
        }

        if (!double.TryParse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        end = i;
        int j = i;
        if (Text.At(s, j) == '°')
        {
            j++;
            end = j;
        }

        int k = j;
        if (Text.At(s, k) == ' ')
        {
            k++;
        }

        char h = Text.At(s, k);
        if (h is 'N' or 'S' or 'E' or 'W' or 'O' && !Text.IsAsciiLetter(Text.At(s, k + 1)) && (end > i || k == j))
        {
            hemisphere = h;
            if (h is 'S' or 'W' && value > 0)
            {
                value = -value;
            }

            end = k + 1;
        }

        return true;
    }

    private static bool TryDms(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        if (!TryDmsPart(s, start, out double a, out int i, out char ha) || ha is not ('N' or 'S'))
        {
            return false;
        }

        while (i < s.Length && s[i] is ' ' or ',' or ';')
        {
            i++;
        }

        if (!TryDmsPart(s, i, out double b, out int end, out char hb) || hb is not ('E' or 'W' or 'O'))
        {
            return false;
        }

        if (a > 90 || b > 180)
        {
            return false;
        }

        e = new Entity(EntityType.GeoCoordinates, start, end);
        return true;
    }

    /// <summary>d°m'[s[.s]]" H with ASCII or typographic marks.</summary>
    private static bool TryDmsPart(ReadOnlySpan<char> s, int start, out double deg, out int end, out char hemisphere)
    {
        deg = 0;
        end = start;
        hemisphere = '\0';
        int i = start;
        if (!ReadInt(s, ref i, 3, out int d) || Text.At(s, i) != '°')
        {
            return false;
        }

        i++;
        SkipSpace(s, ref i);
        if (!ReadInt(s, ref i, 2, out int m) || m >= 60 || Text.At(s, i) is not ('\'' or '′' or '’'))
        {
            return false;
        }

        i++;
        SkipSpace(s, ref i);
        double sec = 0;
        int ss = i;
        if (ReadInt(s, ref i, 2, out int si))
        {
            sec = si;
            if (Text.At(s, i) == '.')
            {
                i++;
                while (i < s.Length && Text.IsDigit(s[i]))
                {
                    i++;
                }
            }

            if (Text.At(s, i) is '"' or '″' or '”')
            {
                i++;
            }
            else if (Text.At(s, i) == '\'' && Text.At(s, i + 1) == '\'')
            {
                i += 2;
            }
            else
            {
                return false;
            }
        }

        if (i == ss)
        {
            return false;
        }

        SkipSpace(s, ref i);
        char h = Text.At(s, i);
        if (h is not ('N' or 'S' or 'E' or 'W' or 'O') || Text.IsAsciiLetter(Text.At(s, i + 1)))
        {
            return false;
        }

        hemisphere = h;
        deg = d + (m / 60.0) + (sec / 3600.0);
        end = i + 1;
        return true;
    }

    private static bool ReadInt(ReadOnlySpan<char> s, ref int i, int maxDigits, out int value)
    {
        value = 0;
        int st = i;
        while (i < s.Length && Text.IsDigit(s[i]) && i - st < maxDigits)
        {
            value = (value * 10) + (s[i] - '0');
            i++;
        }

        return i > st && !Text.IsDigit(Text.At(s, i));
    }

    private static void SkipSpace(ReadOnlySpan<char> s, ref int i)
    {
        if (Text.At(s, i) == ' ')
        {
            i++;
        }
    }
}
