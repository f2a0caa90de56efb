using System.Security.Cryptography;
using System.Text;
using Entrepot.Core.Border.Scanning;

namespace Entrepot.Core.Border.Policy;

/// <summary>
/// A data subject, known only by a keyed hash (HMAC-SHA-256, first 128 bits) of its normalised
/// identifier: the threshold counters never hold an e-mail address or ID number, and without the
/// exchange's key the hashes cannot be tested against guesses.
/// </summary>
public readonly record struct SubjectId(UInt128 Value)
{
    public static SubjectId Of(ReadOnlySpan<byte> key, EntityType type, ReadOnlySpan<char> value)
    {
        var normalised = Normalise(type, value);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(type.Name() + ":" + normalised), mac);
        return new SubjectId(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(mac));
    }

    /// <summary>The same person written differently is the same subject: case, spaces and
    /// separators do not count.</summary>
    public static string Normalise(EntityType type, ReadOnlySpan<char> value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (type == EntityType.Email)
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (char.IsAsciiLetterOrDigit(c) || (type is EntityType.IpAddress or EntityType.GeoCoordinates && c is '.' or ':' or '-'))
            {
                sb.Append(char.ToUpperInvariant(c));
            }
        }

        return sb.ToString();
    }

    public override string ToString() => Value.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
}
