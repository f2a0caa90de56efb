using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Ledger;

/// <summary>
/// A signed checkpoint of the ledger: the exchange's Ed25519 signature over the chain's end at entry
/// <see cref="Seq"/> (its hash) and the time it was made. The exchange makes one every
/// <see cref="Every"/> entries, and <see cref="SealWithin"/> after an entry was appended when fewer
/// came, and publishes them (<c>GET /v1/ledger/checkpoints</c>) so buyers and sellers can keep copies:
/// a ledger that no longer contains a published checkpoint's entry was rewritten.
/// </summary>
public sealed record LedgerCheckpoint(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("hash")] string Hash,
    [property: JsonPropertyName("ts")] string Timestamp,
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("public_key")] string PublicKey,
    [property: JsonPropertyName("signature")] string Signature)
{
    /// <summary>Entries between two checkpoints, at most.</summary>
    public const int Every = 1000;

    /// <summary>How soon after an entry is appended a checkpoint covers it.</summary>
    public static readonly TimeSpan SealWithin = TimeSpan.FromSeconds(10);

    /// <summary>What a verifier allows between an entry's time and the checkpoint that covers it:
    /// <see cref="SealWithin"/> plus slack for a queue that lagged and clocks that differ between nodes.</summary>
    public static readonly TimeSpan VerifySlack = TimeSpan.FromSeconds(30);

    /// <summary>The signed text (version 2): sequence, hash and time.</summary>
    public static byte[] Message(long seq, string hash, string timestamp) =>
        Encoding.UTF8.GetBytes($"entrepot-ledger-checkpoint:v2:{seq.ToString(CultureInfo.InvariantCulture)}:{hash}:{timestamp}");

    /// <summary>The signed text of checkpoints made before the time was signed (version 1).</summary>
    public static byte[] LegacyMessage(long seq, string hash) =>
        Encoding.UTF8.GetBytes($"entrepot-ledger-checkpoint:{seq.ToString(CultureInfo.InvariantCulture)}:{hash}");

    public static LedgerCheckpoint Sign(SigningKey key, long seq, string hash, DateTimeOffset at)
    {
        var ts = LedgerEntry.FormatTime(at);
        return new LedgerCheckpoint(seq, hash, ts, key.KeyId, Receipts.Base64Url(key.PublicKey), Receipts.Base64Url(key.Sign(Message(seq, hash, ts))));
    }

    /// <summary>Whether the time is signed too (version 2), so it can be relied on.</summary>
    [JsonIgnore]
    public bool TimeSigned { get; private init; }

    public DateTimeOffset Time => DateTimeOffset.TryParse(Timestamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;

    /// <summary>Null when the signature holds (over the time too, or a legacy one without it) and,
    /// when <paramref name="trustedPublicKey"/> is given, the signing key is exactly that key; else what is wrong.
    /// <paramref name="verified"/> says whether the time was covered.</summary>
    public string? Check(byte[]? trustedPublicKey, out LedgerCheckpoint verified)
    {
        verified = this;
        var pk = Receipts.FromBase64Url(PublicKey);
        var sig = Receipts.FromBase64Url(Signature);
        if (pk is not { Length: 32 } || sig is null)
        {
            return $"checkpoint at entry {Seq}: its key or signature is malformed";
        }

        if (SigningKey.Verify(pk, Message(Seq, Hash, Timestamp), sig))
        {
            verified = this with { TimeSigned = true };
        }
        else if (!SigningKey.Verify(pk, LegacyMessage(Seq, Hash), sig))
        {
            return $"checkpoint at entry {Seq}: the signature does not verify";
        }

        if (trustedPublicKey is not null && !pk.AsSpan().SequenceEqual(trustedPublicKey))
        {
            return $"checkpoint at entry {Seq}: signed by key {KeyId}, not the exchange's";
        }

        return null;
    }
}
