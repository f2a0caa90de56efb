namespace Entrepot.Core.Border.Scanning;

/// <summary>The check-digit schemes that turn digit runs into validated identifiers.</summary>
public static class Checksums
{
    /// <summary>Luhn (ISO/IEC 7812-1) over the digits of <paramref name="digits"/>.</summary>
    public static bool Luhn(ReadOnlySpan<char> digits)
    {
        int sum = 0;
        bool dbl = false;
        for (int i = digits.Length - 1; i >= 0; i--)
        {
            int d = digits[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            if (dbl)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            dbl = !dbl;
        }

        return sum % 10 == 0;
    }

    /// <summary>ISO 13616 IBAN check: move the first four characters to the end, letters to
    /// 10..35, the number mod 97 must be 1. <paramref name="iban"/> is compact and uppercase.</summary>
    public static bool IbanMod97(ReadOnlySpan<char> iban)
    {
        if (iban.Length < 5)
        {
            return false;
        }

        int rem = 0;
        for (int k = 0; k < iban.Length; k++)
        {
            char c = iban[(k + 4) % iban.Length];
            if (c is >= '0' and <= '9')
            {
                rem = ((rem * 10) + (c - '0')) % 97;
            }
            else if (c is >= 'A' and <= 'Z')
            {
                int v = c - 'A' + 10;
                rem = ((rem * 100) + v) % 97;
            }
            else
            {
                return false;
            }
        }

        return rem == 1;
    }

    private static readonly int[] Gb11643Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    /// <summary>GB 11643-1999 check character of an 18-character PRC resident identity number.</summary>
    public static bool Gb11643(ReadOnlySpan<char> id)
    {
        if (id.Length != 18)
        {
            return false;
        }

        int sum = 0;
        for (int i = 0; i < 17; i++)
        {
            int d = id[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            sum += d * Gb11643Weights[i];
        }

        char expected = "10X98765432"[sum % 11];
        char last = id[17] == 'x' ? 'X' : id[17];
        return last == expected;
    }
}
