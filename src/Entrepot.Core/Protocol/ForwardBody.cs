using System.Buffers;
using System.Text.Json;

namespace Entrepot.Core.Protocol;

/// <summary>
/// Produces the body sent to a seller: the buyer's bytes with the exchange-only <c>provider</c>
/// object removed and, for streams, <c>stream_options.include_usage</c> switched on so the seller
/// reports usage in its final chunk. Other properties are copied byte for byte, unparsed.
/// </summary>
public static class ForwardBody
{
    private static readonly byte[] StreamUsageOption = "\"stream_options\":{\"include_usage\":true}"u8.ToArray();

    public static void Write(ReadOnlySpan<byte> body, bool stream, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(body);
        reader.Read(); // StartObject; the body was validated by the parser.
        var first = true;
        Append(output, "{"u8);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = (int)reader.TokenStartIndex;
            var drop = reader.ValueTextEquals("provider"u8) || reader.ValueTextEquals("stream_options"u8);
            reader.Read();
            reader.Skip();
            if (drop)
            {
                continue;
            }

            if (!first)
            {
                Append(output, ","u8);
            }

            Append(output, body[start..(int)reader.BytesConsumed]);
            first = false;
        }

        if (stream)
        {
            if (!first)
            {
                Append(output, ","u8);
            }

            Append(output, StreamUsageOption);
        }

        Append(output, "}"u8);
    }

    private static void Append(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
