using System.Buffers;

namespace Entrepot.Core.Border.Scanning;

/// <summary>
/// Finds personal data and secrets in text in one forward pass. Prose is skipped with a vectorised
/// search for the few characters every detector is anchored on (digits, '@', '-', '_', ':', '+');
/// each detector then looks a bounded distance around its anchor and validates what it finds
/// (checksums, lengths, ranges), so the work is linear in the input whatever it contains and no
/// input can make it backtrack or throw. Entities come back in order and never overlap.
/// </summary>
public static class Scanner
{
    private static readonly SearchValues<char> Anchors = SearchValues.Create("0123456789@-_:+");
    private const int MaxTokenLookBack = 256;

    public static List<Entity> Scan(ReadOnlySpan<char> text)
    {
        var found = new List<Entity>();
        Scan(text, found);
        return found;
    }

    /// <summary>Appends the entities of <paramref name="s"/> to <paramref name="found"/>.</summary>
    public static void Scan(ReadOnlySpan<char> s, List<Entity> found)
    {
        int pos = 0, floor = 0;
        while (pos < s.Length)
        {
            int rel = s[pos..].IndexOfAny(Anchors);
            if (rel < 0)
            {
                return;
            }

            int i = pos + rel;
            int next = i + 1;
            Entity e = default;
            bool hit;
            switch (s[i])
            {
                case '@':
                    hit = EmailDetector.TryMatch(s, i, out e);
                    break;
                case ':':
                    // On a miss the hex-and-colon run is passed over, unless it holds a dot: then only the
                    // colon is, so "geo:48.85,2.29" still reaches the number.
                    hit = IpDetector.TryV6(s, i, floor, out e, out int v6End);
                    if (!hit && s[i..v6End].IndexOf('.') < 0)
                    {
                        next = Math.Max(next, v6End);
                    }

                    break;
                case '+':
                    hit = Text.BoundaryBefore(s, i) && Text.IsDigit(Text.At(s, i + 1)) && PhoneDetector.TryMatch(s, i, out e);
                    break;
                case '-' when s[i..].StartsWith("-----BEGIN ", StringComparison.Ordinal):
                    hit = SecretDetector.TryPem(s, i, out e);
                    next = i + 5;
                    break;
                case '-' when Text.BoundaryBefore(s, i) && Text.IsDigit(Text.At(s, i + 1)):
                    hit = GeoDetector.TryMatch(s, i, out e);
                    break;
                case '-' or '_':
                    hit = TryToken(s, i, floor, out e, out next);
                    break;
                default:
                    hit = TryNumber(s, i, floor, out e, out next);
                    break;
            }

            if (hit && e.Start >= floor && e.End > e.Start)
            {
                found.Add(e);
                floor = e.End;
                pos = e.End;
            }
            else
            {
                pos = Math.Max(next, i + 1);
            }
        }
    }

    /// <summary>Digit anchors: inside an identifier-like token (letters before the digit) the
    /// token detectors run; otherwise the number detectors, most specific first.</summary>
    private static bool TryNumber(ReadOnlySpan<char> s, int i, int floor, out Entity e, out int next)
    {
        char prev = Text.At(s, i - 1);
        if (i > floor && (Text.IsAsciiLetter(prev) || prev is '_' || (prev == '-' && Text.IsAlnum(Text.At(s, i - 2)))))
        {
            return TryToken(s, i, floor, out e, out next);
        }

        int runEnd = i;
        while (runEnd < s.Length && Text.IsDigit(s[runEnd]))
        {
            runEnd++;
        }

        next = SkipNumber(s, i);
        if (prev == '(' && i - 1 >= floor && Text.BoundaryBefore(s, i - 1) && PhoneDetector.TryMatch(s, i - 1, out e))
        {
            return true;
        }

        if (CnResidentIdDetector.TryMatch(s, i, out e))
        {
            return true;
        }

        char after = Text.At(s, runEnd);
        if (Text.IsAsciiLetter(after) || after == '_')
        {
            return TryToken(s, i, floor, out e, out next);
        }

        if (CardDetector.TryMatch(s, i, out e, out int cardShape))
        {
            return true;
        }

        next = Math.Max(next, cardShape);
        return SsnDetector.TryMatch(s, i, out e)
            || IpDetector.TryV4(s, i, out e)
            || GeoDetector.TryMatch(s, i, out e)
            || PhoneDetector.TryMatch(s, i, out e)
            || PassportDetector.TryMatch(s, i, out e);
    }

    /// <summary>The token detectors (keys, IBANs, passport numbers) over the run of letters, digits,
    /// '_' and '-' around <paramref name="i"/>; on a miss the whole token is skipped.</summary>
    private static bool TryToken(ReadOnlySpan<char> s, int i, int floor, out Entity e, out int next)
    {
        int start = i;
        while (start > floor && i - start < MaxTokenLookBack && Text.IsTokenChar(s[start - 1]))
        {
            start--;
        }

        int end = i;
        while (end < s.Length && Text.IsTokenChar(s[end]))
        {
            end++;
        }

        next = end;
        while (start < end && s[start] is '-' or '_')
        {
            start++;
        }

        e = default;
        if (start >= end)
        {
            return false;
        }

        if (SecretDetector.TryToken(s, start, end, out e))
        {
            return true;
        }

        if (IbanDetector.TryMatch(s, start, out e, out int ibanEnd))
        {
            return true;
        }

        next = Math.Max(next, ibanEnd);
        return PassportDetector.TryMatch(s, start, out e);
    }

    /// <summary>End of the number expression at <paramref name="i"/>: digits joined by single
    /// '.', ',', '-', '/' or ':' (a date, a version, a time), so that a miss does not retry each
    /// of its parts. Spaces end it: "2024 192.168.0.1" still finds the address.</summary>
    private static int SkipNumber(ReadOnlySpan<char> s, int i)
    {
        int j = i;
        while (j < s.Length)
        {
            if (Text.IsDigit(s[j]))
            {
                j++;
            }
            else if (s[j] is '.' or ',' or '-' or '/' or ':' && Text.IsDigit(Text.At(s, j + 1)))
            {
                j += 2;
            }
            else
            {
                break;
            }
        }

        return j;
    }
}
