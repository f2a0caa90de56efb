namespace Entrepot.Core.Border.Scanning;

/// <summary>Credentials: provider API keys and tokens by their published prefixes and lengths,
/// JSON Web Tokens, PEM private-key blocks, and long random values assigned to a key-, token- or
/// password-like name ("api_key = ...").</summary>
internal static class SecretDetector
{
    private const string PemBegin = "-----BEGIN ";
    private const int MaxPem = 16 * 1024;
    private const int MaxHeader = 80;

    /// <summary>Prefix, minimum length of what follows, and whether the rest may hold '-'/'_'.</summary>
    private static readonly (string Prefix, int MinRest, bool Dashes)[] Prefixes =
    [
        ("sk-proj-", 40, true), ("sk-ant-", 40, true), ("sk-", 32, false), ("sk_live_", 20, false), ("sk_test_", 20, false),
        ("rk_live_", 20, false), ("ghp_", 36, false), ("gho_", 36, false), ("ghu_", 36, false), ("ghs_", 36, false),
        ("ghr_", 36, false), ("github_pat_", 50, true), ("xoxb-", 10, true), ("xoxp-", 10, true), ("xoxa-", 10, true),
        ("xoxr-", 10, true), ("xoxs-", 10, true), ("glpat-", 20, true), ("hf_", 30, false), ("AIza", 35, true),
        ("npm_", 36, false), ("pypi-", 50, true),
    ];

    private static readonly string[] AssignmentNames = ["key", "secret", "token", "password", "passwd", "pwd", "credential", "auth"];

    public static bool TryPem(ReadOnlySpan<char> s, int start, out Entity e)
    {
        e = default;
        if (!s[start..].StartsWith(PemBegin, StringComparison.Ordinal))
        {
            return false;
        }

        // The header line is short; looking no further keeps "-----BEGIN -----BEGIN ..." linear.
        var window = s[start..Math.Min(s.Length, start + MaxHeader)];
        int lineEnd = window.IndexOf('\n');
        var header = lineEnd < 0 ? window : window[..lineEnd];
        if (!header.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            return false;
        }

        var rest = s[start..Math.Min(s.Length, start + MaxPem)];
        int endMarker = rest.IndexOf("-----END ", StringComparison.Ordinal);
        int end;
        if (endMarker >= 0)
        {
            int close = rest[(endMarker + 9)..].IndexOf("-----", StringComparison.Ordinal);
            end = close < 0 ? start + endMarker + 9 : start + endMarker + 9 + close + 5;
        }
        else
        {
            // A truncated block: take the base64 body that follows the header.
            end = start + header.Length;
            while (end < s.Length && end - start < MaxPem && (Text.IsBase64Url(s[end]) || s[end] is '+' or '/' or '=' or '\n' or '\r'))
            {
                end++;
            }
        }

        e = new Entity(EntityType.Secret, start, end);
        return true;
    }

    /// <summary>Classifies the identifier-like token [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public static bool TryToken(ReadOnlySpan<char> s, int start, int end, out Entity e)
    {
        e = default;
        var t = s[start..end];
        if (t.Length < 16)
        {
            return false;
        }

        foreach (var (prefix, minRest, dashes) in Prefixes)
        {
            if (t.StartsWith(prefix, StringComparison.Ordinal) && t.Length - prefix.Length >= minRest && RestOk(t[prefix.Length..], dashes))
            {
                e = new Entity(EntityType.Secret, start, end);
                return true;
            }
        }

        if (t.Length == 20 && (t.StartsWith("AKIA", StringComparison.Ordinal) || t.StartsWith("ASIA", StringComparison.Ordinal)) && UpperOrDigit(t))
        {
            e = new Entity(EntityType.Secret, start, end);
            return true;
        }

        if (t.StartsWith("eyJ", StringComparison.Ordinal) && TryJwt(s, start, end, out e))
        {
            return true;
        }

        if (t.Length >= 20 && LooksRandom(t) && AssignedToSecretName(s, start))
        {
            e = new Entity(EntityType.Secret, start, end);
            return true;
        }

        return false;
    }

    private static bool TryJwt(ReadOnlySpan<char> s, int start, int headerEnd, out Entity e)
    {
        e = default;
        int i = headerEnd;
        for (int part = 0; part < 2; part++)
        {
            if (Text.At(s, i) != '.')
            {
                return false;
            }

            int ps = ++i;
            while (i < s.Length && Text.IsBase64Url(s[i]))
            {
                i++;
            }

            if (i - ps < 10)
            {
                return false;
            }
        }

        e = new Entity(EntityType.Secret, start, i);
        return true;
    }

    private static bool RestOk(ReadOnlySpan<char> rest, bool dashes)
    {
        foreach (var c in rest)
        {
            if (!Text.IsAlnum(c) && !(dashes && c is '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool UpperOrDigit(ReadOnlySpan<char> t)
    {
        foreach (var c in t)
        {
            if (!Text.IsUpper(c) && !Text.IsDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Upper case, lower case and digits all present, and few long runs of one class:
    /// "Xk9fQ2mZ..." rather than "configuration_value_1".</summary>
    private static bool LooksRandom(ReadOnlySpan<char> t)
    {
        int upper = 0, lower = 0, digit = 0, switches = 0, prev = -1;
        foreach (var c in t)
        {
            int cls = Text.IsUpper(c) ? 0 : Text.IsDigit(c) ? 2 : Text.IsAsciiLetter(c) ? 1 : 3;
            upper += cls == 0 ? 1 : 0;
            lower += cls == 1 ? 1 : 0;
            digit += cls == 2 ? 1 : 0;
            if (prev >= 0 && cls != prev)
            {
                switches++;
            }

            prev = cls;
        }

        return upper > 0 && lower > 0 && digit > 0 && switches * 4 >= t.Length;
    }

    /// <summary>name = "value" / name: value / "name": "value", where name ends in a secret word.</summary>
    private static bool AssignedToSecretName(ReadOnlySpan<char> s, int valueStart)
    {
        int i = valueStart - 1;
        int guard = 0;
        while (i >= 0 && guard++ < 4 && s[i] is '"' or '\'' or ' ' or '`')
        {
            i--;
        }

        if (i < 0 || s[i] is not (':' or '='))
        {
            return false;
        }

        i--;
        guard = 0;
        while (i >= 0 && guard++ < 3 && s[i] is '"' or '\'' or ' ')
        {
            i--;
        }

        int nameEnd = i + 1;
        while (i >= 0 && nameEnd - i < 40 && (Text.IsAlnum(s[i]) || s[i] is '_' or '-' or '.'))
        {
            i--;
        }

        var name = s[(i + 1)..nameEnd];
        foreach (var w in AssignmentNames)
        {
            if (name.EndsWith(w, StringComparison.OrdinalIgnoreCase) ||
                (name.Length > w.Length && name.Contains(w, StringComparison.OrdinalIgnoreCase) && w.Length >= 5))
            {
                return true;
            }
        }

        return false;
    }
}
