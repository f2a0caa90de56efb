using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Border.Redaction;

/// <summary>
/// Writes the body a seller that must not see the data receives: the buyer's bytes with each data
/// field the redactor changed replaced where the request reader found it (its JSON string token,
/// written anew), then what every forwarded body gets (<see cref="ForwardBody"/>: no
/// <c>provider</c> object, usage asked for on streams). Nothing else is parsed or re-serialised.
/// </summary>
public static class RedactedBody
{
    /// <param name="redacted">The new text of each field of <paramref name="fields"/>, null where unchanged.</param>
    public static byte[] Write(ReadOnlySpan<byte> body, IReadOnlyList<DataField> fields, IReadOnlyList<string?> redacted, bool stream)
    {
        var spliced = new ArrayBufferWriter<byte>(body.Length + 256);
        var at = 0;
        for (var i = 0; i < fields.Count; i++)
        {
            if (redacted[i] is not { } text)
            {
                continue;
            }

            var f = fields[i];
            spliced.Write(body[at..f.Start]);
            spliced.Write("\""u8);
            // Relaxed escaping is still valid JSON; it leaves non-ASCII text readable for the seller.
            spliced.Write(JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
            spliced.Write("\""u8);
            at = f.Start + f.Length;
        }

        spliced.Write(body[at..]);
        var output = new ArrayBufferWriter<byte>(spliced.WrittenCount + 64);
        ForwardBody.Write(spliced.WrittenSpan, stream, output);
        return output.WrittenSpan.ToArray();
    }
}
