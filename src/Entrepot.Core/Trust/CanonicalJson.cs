using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Entrepot.Core.Trust;

/// <summary>
/// The JSON Canonicalization Scheme (RFC 8785) for what Entrepot signs: object members sorted by
/// their names' UTF-16 code units, no insignificant whitespace, strings with the minimal escapes
/// RFC 8785 section 3.2.2.2 prescribes. Signed documents carry integers only (prices and costs are
/// decimal strings), so numbers are written as integers; a fraction or exponent is refused rather
/// than formatted in a way another implementation might not reproduce.
/// </summary>
public static class CanonicalJson
{
    public static byte[] Serialize(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(node, sb);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void Write(JsonNode? node, StringBuilder sb)
    {
        switch (node)
        {
            case null:
                sb.Append("null");
                break;
            case JsonObject o:
                sb.Append('{');
                bool first = true;
                foreach (var (key, value) in o.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }

                    first = false;
                    WriteString(key, sb);
                    sb.Append(':');
                    Write(value, sb);
                }

                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (int i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    Write(a[i], sb);
                }

                sb.Append(']');
                break;
            case JsonValue v:
                WriteValue(v, sb);
                break;
        }
    }

    private static void WriteValue(JsonValue v, StringBuilder sb)
    {
        switch (v.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(v.GetValue<string>(), sb);
                break;
            case JsonValueKind.True:
                sb.Append("true");
                break;
            case JsonValueKind.False:
                sb.Append("false");
                break;
            case JsonValueKind.Null:
                sb.Append("null");
                break;
            case JsonValueKind.Number:
                if (!TryInteger(v, out var l))
                {
                    throw new FormatException($"Signed documents hold integers only; '{v.ToJsonString()}' is not one.");
                }

                sb.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            default:
                throw new FormatException("Unsupported JSON value.");
        }
    }

    private static bool TryInteger(JsonValue v, out long l)
    {
        if (v.TryGetValue(out l))
        {
            return true;
        }

        if (v.TryGetValue<int>(out var i))
        {
            l = i;
            return true;
        }

        if (v.TryGetValue<JsonElement>(out var e) && e.TryGetInt64(out l))
        {
            return true;
        }

        l = 0;
        return false;
    }

    /// <summary>Appends a JSON string with exactly RFC 8785's escapes (for writers that build canonical forms by hand).</summary>
    public static void WriteString(string s, StringBuilder sb)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    break;
                case '\\':
                    sb.Append("\\\\");
                    break;
                case '\b':
                    sb.Append("\\b");
                    break;
                case '\f':
                    sb.Append("\\f");
                    break;
                case '\n':
                    sb.Append("\\n");
                    break;
                case '\r':
                    sb.Append("\\r");
                    break;
                case '\t':
                    sb.Append("\\t");
                    break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append('"');
    }
}
