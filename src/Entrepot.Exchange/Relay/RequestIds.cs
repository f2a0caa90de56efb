using System.Buffers.Binary;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// Request ids shaped like a UUIDv7 in hex: 48 bits of Unix milliseconds (ids sort by time across
/// nodes), then 80 random bits. <see cref="Guid.CreateVersion7()"/> reads the OS random source on
/// every call, a system call per request on Linux; a per-thread generator seeded from it once does
/// not. The ids need only be unique (80 random bits per millisecond); they are not secrets (the
/// generator is not a cryptographic one), as receipts are looked up within the buyer's own account.
/// </summary>
internal static class RequestIds
{
    [ThreadStatic]
    private static Random? _random;

    public static string Next(string prefix)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16);
        (_random ??= new Random()).NextBytes(bytes[6..]);
        Span<char> chars = stackalloc char[prefix.Length + 32];
        prefix.CopyTo(chars);
        Convert.TryToHexStringLower(bytes, chars[prefix.Length..], out _);
        return new string(chars);
    }
}
