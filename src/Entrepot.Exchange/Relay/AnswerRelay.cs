using System.Buffers;
using System.Diagnostics;
using Entrepot.Core.Border.Redaction;
using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Exchange.Hosting;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// Carries a seller's answer to the buyer, whole or streamed: held to the response cap and, for a
/// stream, to the seller's idle and total deadlines and the size of an event; placeholders restored
/// when the seller got redacted data; translated back when the buyer came by another door (or read
/// in that door's format from a seller that speaks it); and what it learns (usage, hashes, the
/// seller's receipt, the text for the exchange's own count) written into the trade.
/// </summary>
internal sealed class AnswerRelay(ExchangeSettings settings)
{
    private const int RelayBufferSize = 16 * 1024;

    public async Task WholeAsync(HttpContext ctx, HttpResponseMessage upstreamResponse, RelayedTrade trade, CancellationToken aborted)
    {
        var tick = Stopwatch.GetTimestamp();
        using var content = await PooledContent.ReadAsync(upstreamResponse.Content, settings.MaxResponseBytes, aborted).ConfigureAwait(false);
        trade.UpstreamTicks += Stopwatch.GetTimestamp() - tick;
        var restored = trade.Restoring ? new AnswerRestorer(trade.Border.Mapping(trade.Masking)).RestoreWhole(content.Span) : null;
        trade.ResponseSha256 = Core.Trust.Sha256Hex.Of(content.Span);
        trade.SellerReceipt = upstreamResponse.Headers.TryGetValues(Core.Trust.Receipts.Header, out var rh) ? ReceiptFromHeader(rh.FirstOrDefault()) : null;
        var native = trade.Native ? new Core.Protocol.Doors.NativeAnswer(trade.Plan.DoorApi!) : null;
        native?.ReadWhole(content.Span);
        trade.Completion = native?.Text ?? CompletionText.Extract(content.Span);

        var status = (int)upstreamResponse.StatusCode;
        trade.Status = status;
        if (status < 300 && native is not null)
        {
            trade.Usage = native.Usage ?? new TokenUsage(TokenEstimator.FromUtf8Bytes(trade.Request.PromptTextBytes), TokenEstimator.FromUtf8Bytes(content.Length), true);
        }
        else if (status < 300)
        {
            trade.Usage = UsageReader.TryRead(content.Span, out var prompt, out var completion, out var cached, out var reasoning)
                ? new TokenUsage(prompt, completion, false) { CachedTokens = cached, ReasoningTokens = reasoning }
                : new TokenUsage(TokenEstimator.FromUtf8Bytes(trade.Request.PromptTextBytes), TokenEstimator.FromUtf8Bytes(content.Length), true);
        }

        var response = ctx.Response;
        response.StatusCode = status;
        ReadOnlyMemory<byte> answer = restored ?? content.Memory;
        if (trade.Translation is { } door)
        {
            // The seller answered in chat; the buyer gets the door's own shape (errors too).
            answer = status < 300 ? door.Answer(answer.Span) : door.SellerError(status, answer.Span);
            response.ContentType = "application/json";
        }
        else
        {
            response.ContentType = upstreamResponse.Content.Headers.ContentType?.ToString() ?? "application/json";
        }

        if (status < 300 && (trade.Translation is not null || restored is not null))
        {
            trade.BuyerResponseSha256 = Core.Trust.Sha256Hex.Of(answer.Span);
        }

        response.ContentLength = answer.Length;
        SetTradeHeaders(response, trade);
        await response.Body.WriteAsync(answer, aborted).ConfigureAwait(false);
    }

    /// <summary>
    /// Relays a stream event by event. The seller is held to limits, each of which ends the attempt
    /// with what was delivered (the buyer gets an error event, the trade is billed once for it): a
    /// silence of more than the seller's idle deadline between reads, the request's total deadline,
    /// an event larger than <see cref="SseRelay.MaxEventBytes"/> (held back whole until it ends, as is
    /// text waiting to have placeholders restored), and a stream longer than the response cap.
    /// </summary>
    public async Task StreamAsync(HttpContext ctx, HttpResponseMessage upstreamResponse, RelayedTrade trade, CancellationToken attempt, CancellationToken aborted)
    {
        var response = ctx.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        trade.Status = 200;
        SetTradeHeaders(response, trade);

        var tick = Stopwatch.GetTimestamp();
        await using var source = await upstreamResponse.Content.ReadAsStreamAsync(attempt).ConfigureAwait(false);
        trade.UpstreamTicks += Stopwatch.GetTimestamp() - tick;
        await response.StartAsync(aborted).ConfigureAwait(false);

        using var hasher = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var sse = new SseRelay(forwardUsageChunk: trade.Request.IncludeUsage)
        {
            Hasher = hasher,
            CaptureText = true,
            Native = trade.Native ? new Core.Protocol.Doors.NativeAnswer(trade.Plan.DoorApi!) : null,
        };
        var restorer = trade.Restoring ? new AnswerRestorer(trade.Border.Mapping(trade.Masking)) : null;
        var idle = trade.Candidate!.Provider.StreamIdleTimeout;
        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(attempt);
        var buffer = ArrayPool<byte>.Shared.Rent(RelayBufferSize);
        long relayed = 0;
        // Through another door the chat events are written here first and translated into the door's.
        using var door = trade.Translation?.Stream();
        var chat = door is null ? null : new ArrayBufferWriter<byte>(RelayBufferSize);
        // What the buyer gets is hashed too when it is not the seller's bytes (translated or restored).
        using var buyerHash = door is not null || restorer is not null
            ? System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256) : null;
        try
        {
            var pipe = response.BodyWriter;
            IBufferWriter<byte> writer = buyerHash is null ? pipe : new ObservingWriter(pipe, buyerHash.AppendData);
            door?.Start(writer);
            while (true)
            {
                quiet.CancelAfter(idle);
                int n;
                try
                {
                    n = await source.ReadAsync(buffer, quiet.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    trade.Breach = attempt.IsCancellationRequested ? "passed the request's total deadline" : $"sent nothing for {idle.TotalSeconds:0} s";
                    break;
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    // The seller's connection broke mid-stream: the buyer keeps what arrived and is told
                    // why the stream ended, on a connection that closes cleanly.
                    trade.Breach = "dropped the connection";
                    break;
                }

                if (n == 0)
                {
                    break;
                }

                relayed += n;
                if (relayed > settings.MaxResponseBytes)
                {
                    trade.Breach = $"sent more than {settings.MaxResponseBytes} bytes";
                    break;
                }

                try
                {
                    sse.Process(restorer is null ? buffer.AsSpan(0, n) : restorer.PushStream(buffer.AsSpan(0, n)), (IBufferWriter<byte>?)chat ?? writer);
                    Translate(door, chat, writer);
                }
                catch (SseLimitException e)
                {
                    trade.Breach = e.Message;
                    break;
                }

                await pipe.FlushAsync(aborted).ConfigureAwait(false);
            }

            if (trade.Breach is null)
            {
                if (restorer is not null)
                {
                    sse.Process(restorer.CompleteStream(), (IBufferWriter<byte>?)chat ?? writer);
                }

                sse.Complete((IBufferWriter<byte>?)chat ?? writer);
                Translate(door, chat, writer);
                if (door is not null && sse.SawDone)
                {
                    door.Complete(writer);
                }
                else
                {
                    door?.Fail("The seller's stream ended before it was complete. What arrived before is yours and billed; nothing after.", writer);
                }
            }
            else if (door is not null)
            {
                door.Fail($"The seller's stream was cut off: it {trade.Breach}. What arrived before is yours and billed; nothing after.", writer);
            }
            else if (!sse.SawDone && trade.Native)
            {
                // A native seller's stream in the door's format ends with the door's own error event.
                using var ending = trade.Plan.Translation!.Stream();
                ending.Fail($"The seller's stream was cut off: it {trade.Breach}. What arrived before is yours and billed; nothing after.", writer);
            }
            else if (!sse.SawDone)
            {
                // The buyer keeps every complete event it got; the stream ends with the reason, not [DONE].
                var error = OpenAIError.ToBytes($"The seller's stream was cut off: it {trade.Breach}. What arrived before is yours and billed; nothing after.",
                    "server_error", null, "seller_stream_cut");
                writer.Write("data: "u8);
                writer.Write(error);
                writer.Write("\n\n"u8);
            }

            // The buyer's stream ends here, with its last bytes: the chunked ending goes now rather
            // than after the trade's bookkeeping below and in the relay, which the buyer need not wait for.
            await response.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            trade.Usage = sse.SawUsage
                ? new TokenUsage(sse.PromptTokens, sse.CompletionTokens, false) { CachedTokens = sse.CachedTokens, ReasoningTokens = sse.ReasoningTokens }
                : new TokenUsage(TokenEstimator.FromUtf8Bytes(trade.Request.PromptTextBytes), TokenEstimator.FromUtf8Bytes(sse.PayloadBytes), true);
            if (!sse.SawDone)
            {
                trade.Outcome = Outcome.Interrupted;
            }

            trade.ResponseSha256 = Convert.ToHexStringLower(hasher.GetHashAndReset());
            trade.BuyerResponseSha256 = buyerHash is null ? null : Convert.ToHexStringLower(buyerHash.GetHashAndReset());
            trade.SellerReceipt = sse.ReceiptRefused ? "(a receipt event past the size limit, not kept)" : sse.Receipt;
            trade.Completion = sse.Text;
            trade.ContentEvents = sse.ContentEvents;
        }
    }

    /// <summary>Hands the chat events written so far to the door's translator.</summary>
    private static void Translate(Core.Protocol.Doors.DoorStream? door, ArrayBufferWriter<byte>? chat, IBufferWriter<byte> writer)
    {
        if (door is not null && chat!.WrittenCount > 0)
        {
            door.Push(chat.WrittenSpan, writer);
            chat.Clear();
        }
    }

    private static void SetTradeHeaders(HttpResponse response, RelayedTrade trade)
    {
        var headers = response.Headers;
        var c = trade.Candidate!;
        headers["Entrepot-Provider"] = c.Provider.Id;
        headers["Entrepot-Jurisdiction"] = c.Provider.Jurisdiction;
        trade.OverheadUs = trade.OwnMicroseconds();
        headers["Entrepot-Overhead-Us"] = ((long)trade.OverheadUs).ToString(System.Globalization.CultureInfo.InvariantCulture);
        headers["Entrepot-Policy"] = trade.Border.Header(trade.Decision!, trade.Masking);
    }

    /// <summary>The seller's receipt from its header as JSON text (unread: the recorder checks it).</summary>
    private static string? ReceiptFromHeader(string? header) =>
        header is { Length: > 0 and <= Core.Trust.SellerReceipt.MaxBytes * 2 } && Core.Trust.Receipts.FromBase64Url(header) is { } bytes
            ? System.Text.Encoding.UTF8.GetString(bytes) : header is null ? null : "";
}
