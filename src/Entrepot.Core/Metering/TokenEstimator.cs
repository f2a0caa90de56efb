namespace Entrepot.Core.Metering;

/// <summary>
/// The estimator used when a seller reports no usage: one token per four bytes of UTF-8 text,
/// rounded up, at least one. Byte-pair tokenizers of English average about four characters per
/// token; for other scripts this over-counts, which errs on the side of the buyer being told more,
/// and every estimated record is marked as such.
/// </summary>
public static class TokenEstimator
{
    public const int BytesPerToken = 4;

    public static long FromUtf8Bytes(long bytes) => bytes <= 0 ? 0 : Math.Max(1, (bytes + BytesPerToken - 1) / BytesPerToken);
}
