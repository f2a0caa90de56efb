using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Entrepot.Core.Protocol;
using Entrepot.Core.Trust;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exporter.Hosting;

/// <summary>
/// Signs a receipt for every response the node serves: it hashes the request as received and the
/// response as delivered, reads the token counts from the response's usage, prices them at the
/// node's own list price, and hands the signed receipt over in the <c>Entrepot-Receipt</c> header
/// (whole responses, which are buffered for it) or as a final <c>entrepot.receipt</c> event after
/// the stream (which is not buffered: it is hashed as it passes). Every receipt is committed to the
/// node's receipt log before it is handed over, so the exchange can fetch any it missed.
/// </summary>
public sealed class ReceiptIssuer(SigningKey key, ExporterConfig config, TimeProvider time, Entrepot.Storage.Sqlite.SqliteIssuedReceiptLog? log = null)
{
    public const string BuyerHeader = "Entrepot-Buyer-Account";
    public const string AttemptHeader = "Entrepot-Attempt";
    public const string RequestIdHeader = "Entrepot-Request-Id";

    public SigningKey Key => key;

    /// <param name="exchange">Which of the node's exchanges asked (its log serves each only its own receipts); null for none.</param>
    public async Task ServeAsync(HttpContext ctx, ReadOnlyMemory<byte> body, Func<Engines.EngineAnswer, Task> engine, string? exchange = null)
    {
        var started = time.GetUtcNow();
        var requestHash = Convert.ToHexStringLower(SHA256.HashData(body.Span));
        var response = ctx.Response;
        var stream = Read(body.Span, out var model);
        ctx.Items[ModelItem] = model ?? "";
        if (!stream)
        {
            // A whole answer is kept until it is signed; the receipt goes out in a header with it.
            var whole = new Engines.BufferedAnswer();
            await engine(whole).ConfigureAwait(false);
            var bytes = whole.Bytes;
            response.StatusCode = whole.Status;
            response.ContentType = whole.ContentType;
            if (whole.RetryAfter is not null)
            {
                response.Headers.RetryAfter = whole.RetryAfter;
            }

            if (whole.Status < 300)
            {
                UsageReader.TryRead(bytes.Span, out var input, out var output);
                var receipt = Sign(ctx, started, requestHash, Convert.ToHexStringLower(SHA256.HashData(bytes.Span)), input, output);
                await LogAsync(receipt, exchange).ConfigureAwait(false);
                response.Headers[Receipts.Header] = Receipts.ToHeader(receipt);
            }

            response.ContentLength = bytes.Length;
            await response.Body.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        // A stream goes out as it comes, hashed as it passes, with its usage read; the receipt follows it.
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var usage = new SseRelay(forwardUsageChunk: true);
        var discard = new ArrayBufferWriter<byte>(4096);
        var answer = new HttpAnswer(response, data =>
        {
            hash.AppendData(data);
            usage.Process(data, discard);
            discard.ResetWrittenCount();
        });
        await engine(answer).ConfigureAwait(false);
        if (answer.Status < 300)
        {
            var receipt = Sign(ctx, started, requestHash, Convert.ToHexStringLower(hash.GetHashAndReset()), usage.PromptTokens, usage.CompletionTokens);
            await LogAsync(receipt, exchange).ConfigureAwait(false);
            var evt = Encoding.UTF8.GetBytes($"event: {Receipts.SseEvent}\ndata: {Encoding.UTF8.GetString(CanonicalJson.Serialize(receipt))}\n\n");
            await response.Body.WriteAsync(evt, ctx.RequestAborted).ConfigureAwait(false);
            await response.Body.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Commits the receipt to the node's log. A log that cannot be written (disk full) does
    /// not stop the trade: the receipt still goes out with the response, and the failure is reported.</summary>
    private async Task LogAsync(System.Text.Json.Nodes.JsonObject receipt, string? exchange)
    {
        if (log is null)
        {
            return;
        }

        var body = receipt["receipt"]!;
        try
        {
            await log.LogAsync((string)body["request_id"]!, (int)body["attempt"]!, time.GetUtcNow(), Encoding.UTF8.GetString(CanonicalJson.Serialize(receipt)), exchange).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or ObjectDisposedException)
        {
            Console.Error.WriteLine($"entrepot: receipt {(string?)body["request_id"]} could not be written to the node's receipt log: {e.Message}");
        }
    }

    private System.Text.Json.Nodes.JsonObject Sign(HttpContext ctx, DateTimeOffset started, string requestHash, string responseHash, long input, long output)
    {
        var h = ctx.Request.Headers;
        int attempt = int.TryParse(h[AttemptHeader].ToString(), out var a) ? a : 1;
        var price = config.Node.Price ?? new NodePrice();
        // The exchange's quote is the trade's price (its spot price for this attempt); the receipt echoes
        // the sealed quote, which is what lets the exchange bill it from this node's log if it must.
        var quoteToken = h[Quote.Header].ToString();
        var quote = Quote.Read(quoteToken);
        var body = Receipts.Body("exporter", h[RequestIdHeader].ToString() is { Length: > 0 } id ? id : "direct_" + Guid.NewGuid().ToString("N"),
            attempt, h[BuyerHeader].ToString() is { Length: > 0 } buyer ? buyer : "unknown", config.Node.Id, ModelOf(ctx), input, output,
            quote?.InputPrice ?? price.Input, quote?.OutputPrice ?? price.Output, quote?.Currency ?? price.Currency, started, time.GetUtcNow(), requestHash, responseHash);
        if (quote is not null)
        {
            body["quote"] = quoteToken;
        }

        return Receipts.SignAsSeller(body, key, config.Node.Id);
    }

    private static string ModelOf(HttpContext ctx) => ctx.Items.TryGetValue(ModelItem, out var m) && m is string s ? s : "";

    private const string ModelItem = "entrepot.model";

    /// <summary>"stream": true at the top level of the request; also notes its "model" for the receipt.</summary>
    public static bool IsStream(ReadOnlySpan<byte> body) => Read(body, out _);

    private static bool Read(ReadOnlySpan<byte> body, out string? model)
    {
        model = null;
        bool stream = false;
        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isStream = reader.ValueTextEquals("stream"u8);
                bool isModel = reader.ValueTextEquals("model"u8);
                reader.Read();
                if (isStream)
                {
                    stream = reader.TokenType == JsonTokenType.True;
                }
                else if (isModel && reader.TokenType == JsonTokenType.String)
                {
                    model = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return stream;
        }

        return stream;
    }
}
