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

    public async Task ServeAsync(HttpContext ctx, ReadOnlyMemory<byte> body, Func<Task> engine)
    {
        var started = time.GetUtcNow();
        var requestHash = Convert.ToHexStringLower(SHA256.HashData(body.Span));
        var original = ctx.Response.Body;
        var stream = Read(body.Span, out var model);
        ctx.Items[ModelItem] = model ?? "";
        if (!stream)
        {
            using var buffer = new MemoryStream();
            ctx.Response.Body = buffer;
            try
            {
                await engine().ConfigureAwait(false);
            }
            finally
            {
                ctx.Response.Body = original;
            }

            var bytes = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            if (ctx.Response.StatusCode < 300)
            {
                UsageReader.TryRead(bytes.Span, out var input, out var output);
                var receipt = Sign(ctx, started, requestHash, Convert.ToHexStringLower(SHA256.HashData(bytes.Span)), input, output);
                await LogAsync(receipt).ConfigureAwait(false);
                ctx.Response.Headers[Receipts.Header] = Receipts.ToHeader(receipt);
            }

            ctx.Response.ContentLength = bytes.Length;
            await original.WriteAsync(bytes, ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var tee = new HashingStream(original);
        ctx.Response.Body = tee;
        try
        {
            await engine().ConfigureAwait(false);
        }
        finally
        {
            ctx.Response.Body = original;
        }

        if (ctx.Response.StatusCode < 300)
        {
            var receipt = Sign(ctx, started, requestHash, tee.Hash(), tee.Usage.PromptTokens, tee.Usage.CompletionTokens);
            await LogAsync(receipt).ConfigureAwait(false);
            var evt = Encoding.UTF8.GetBytes($"event: {Receipts.SseEvent}\ndata: {Encoding.UTF8.GetString(CanonicalJson.Serialize(receipt))}\n\n");
            await original.WriteAsync(evt, ctx.RequestAborted).ConfigureAwait(false);
            await original.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Commits the receipt to the node's log. A log that cannot be written (disk full) does
    /// not stop the trade: the receipt still goes out with the response, and the failure is reported.</summary>
    private async Task LogAsync(System.Text.Json.Nodes.JsonObject receipt)
    {
        if (log is null)
        {
            return;
        }

        var body = receipt["receipt"]!;
        try
        {
            await log.LogAsync((string)body["request_id"]!, (int)body["attempt"]!, time.GetUtcNow(), Encoding.UTF8.GetString(CanonicalJson.Serialize(receipt))).ConfigureAwait(false);
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

    /// <summary>Passes a stream through to the client, hashing it and reading its usage chunk.</summary>
    private sealed class HashingStream(Stream inner) : Stream
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly ArrayBufferWriter<byte> _discard = new(4096);

        public SseRelay Usage { get; } = new(forwardUsageChunk: true);

        public string Hash() => Convert.ToHexStringLower(_hash.GetHashAndReset());

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Observe(buffer.Span);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Observe(buffer.AsSpan(offset, count));
            inner.Write(buffer, offset, count);
        }

        private void Observe(ReadOnlySpan<byte> data)
        {
            _hash.AppendData(data);
            Usage.Process(data, _discard);
            _discard.ResetWrittenCount();
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                Usage.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
