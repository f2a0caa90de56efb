using System.Net;
using System.Net.Sockets;

namespace Entrepot.Core.Border.Scanning;

/// <summary>IP addresses. IPv4: four decimal octets 0-255 without leading zeros, not after
/// "version"/"build" (10.0.0.1 is an address, "version 1.2.3.4" is not). IPv6: a run of hex
/// digits, colons and dots that the platform parser accepts, with at least two groups, so that
/// "std::vector" and clock times stay out.</summary>
internal static class IpDetector
{
    private static readonly string[] VersionWords = ["version", "build", "release", "ver.", "firmware", "版本", "バージョン", "версия"];

    public static bool TryV4(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        int i = start;
        for (int octet = 0; octet < 4; octet++)
        {
            int os = i, v = 0;
            while (i < s.Length && Text.IsDigit(s[i]) && i - os < 3)
            {
                v = (v * 10) + (s[i] - '0');
                i++;
            }

            int len = i - os;
            if (len == 0 || v > 255 || (len > 1 && s[os] == '0') || Text.IsDigit(Text.At(s, i)))
            {
                return false;
            }

            if (octet < 3)
            {
                if (Text.At(s, i) != '.')
                {
                    return false;
                }

                i++;
            }
        }

        if (!Text.BoundaryAfter(s, i) || Text.At(s, i) == '.' && Text.IsDigit(Text.At(s, i + 1)) || Text.At(s, start - 1) == '.')
        {
            return false;
        }

        if (Text.KeywordBefore(s, start, 12, VersionWords))
        {
            return false;
        }

        e = new Entity(EntityType.IpAddress, start, i);
        return true;
    }

    /// <summary>Tries an IPv6 address around the colon at <paramref name="colon"/>, not reaching
    /// back before <paramref name="floor"/>.</summary>
    public static bool TryV6(ReadOnlySpan<char> s, int colon, int floor, out Entity e, out int candidateEnd)
    {
        e = default;
        int start = colon;
        while (start > floor && colon - start < 40 && IsV6Char(s[start - 1]))
        {
            start--;
        }

        int end = colon;
        while (end < s.Length && end - start < 45 && IsV6Char(s[end]))
        {
            end++;
        }

        candidateEnd = end;
        while (end > start && s[end - 1] == '.')
        {
            end--;
        }

        while (start < colon && s[start] == '.')
        {
            start++;
        }

        if (!Text.BoundaryBefore(s, start) || Text.IsAlnum(Text.At(s, end)) || end - start < 3)
        {
            return false;
        }

        var c = s[start..end];
        int groups = 0, colons = 0;
        bool inGroup = false;
        foreach (var ch in c)
        {
            if (ch == ':')
            {
                colons++;
                inGroup = false;
            }
            else if (!inGroup)
            {
                inGroup = true;
                groups++;
            }
        }

        bool loopback = c.SequenceEqual("::1");
        if ((groups < 2 && !loopback) || colons < 2 || (!c.Contains("::", StringComparison.Ordinal) && colons < 7))
        {
            return false;
        }

        if (!IPAddress.TryParse(c, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        e = new Entity(EntityType.IpAddress, start, end);
        return true;
    }

    private static bool IsV6Char(char c) => Text.IsHex(c) || c is ':' or '.';
}
