using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Entrepot.Core.Trust;

/// <summary>
/// The exchange's quote for one attempt, sealed with a MAC under a key only the exchange holds and
/// sent to the seller with the request (<c>Entrepot-Quote</c>), which echoes it in its receipt: the
/// request id, the attempt, the seller, the buyer's pseudonym, the prices per million tokens, the
/// most tokens the buyer's hold allows and when it was issued. Reconciliation bills a receipt from a
/// seller's log only if it carries a quote the exchange sealed for that very attempt, at that price
/// and within those bounds, so nothing need be written on the request path and no seller can invent
/// a trade. The seller may read it (the prices are the trade's); it cannot make one.
/// </summary>
public sealed record Quote(string RequestId, int Attempt, string Seller, string Buyer, decimal InputPrice, decimal OutputPrice, string Currency,
    long MaxInput, long MaxOutput, DateTimeOffset Issued)
{
    public const string Header = "Entrepot-Quote";
    private const string Version = "q1";
    private const int MacBytes = 16;

    public string Seal(ReadOnlySpan<byte> key)
    {
        var payload = Encoding.UTF8.GetBytes(string.Join('|', "v1", RequestId, Attempt.ToString(CultureInfo.InvariantCulture), Seller, Buyer,
            InputPrice.ToString(CultureInfo.InvariantCulture), OutputPrice.ToString(CultureInfo.InvariantCulture), Currency,
            MaxInput.ToString(CultureInfo.InvariantCulture), MaxOutput.ToString(CultureInfo.InvariantCulture), Issued.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)));
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, payload, mac);
        return Version + "." + Receipts.Base64Url(payload) + "." + Receipts.Base64Url(mac[..MacBytes]);
    }

    /// <summary>The quote if <paramref name="token"/> was sealed with <paramref name="key"/>, else null.</summary>
    public static Quote? Open(string? token, ReadOnlySpan<byte> key)
    {
        if (Split(token) is not ({ } payload, { } mac))
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(key, payload, expected);
        return CryptographicOperations.FixedTimeEquals(expected[..MacBytes], mac) ? Parse(payload) : null;
    }

    /// <summary>The quote's terms as the seller reads them (unverified: only the exchange can check the seal).</summary>
    public static Quote? Read(string? token) => Split(token) is ({ } payload, _) ? Parse(payload) : null;

    private static (byte[]? Payload, byte[]? Mac) Split(string? token)
    {
        if (token is not { Length: > 4 and < 2048 } || !token.StartsWith(Version + ".", StringComparison.Ordinal))
        {
            return (null, null);
        }

        var parts = token.Split('.');
        return parts.Length == 3 && Receipts.FromBase64Url(parts[1]) is { } payload && Receipts.FromBase64Url(parts[2]) is { Length: MacBytes } mac
            ? (payload, mac) : (null, null);
    }

    private static Quote? Parse(byte[] payload)
    {
        var f = Encoding.UTF8.GetString(payload).Split('|');
        if (f.Length != 11 || f[0] != "v1"
            || !int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
            || !decimal.TryParse(f[5], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var input)
            || !decimal.TryParse(f[6], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var output)
            || !long.TryParse(f[8], NumberStyles.None, CultureInfo.InvariantCulture, out var maxIn)
            || !long.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out var maxOut)
            || !long.TryParse(f[10], NumberStyles.None, CultureInfo.InvariantCulture, out var issued))
        {
            return null;
        }

        return new Quote(f[1], attempt, f[3], f[4], input, output, f[7], maxIn, maxOut, DateTimeOffset.FromUnixTimeMilliseconds(Math.Min(issued, 253402300799999)));
    }
}

/// <summary>
/// The name a seller knows a buyer by: a keyed hash of the seller and the account, stable for that
/// pair, different for every seller, meaningless without the exchange's key. Sellers never learn
/// account ids (nor can two sellers tell they serve the same buyer); the exchange maps it back.
/// </summary>
public static class BuyerAlias
{
    public static string Of(ReadOnlySpan<byte> key, string seller, string account)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(seller + "\n" + account), mac);
        return "buyer_" + Convert.ToHexStringLower(mac[..10]);
    }
}
