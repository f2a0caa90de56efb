using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Entrepot.Core.Accounts;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Redaction;
using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Border;
using Entrepot.Exchange.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// The request path for every door, top to bottom: read the body, admit the trade
/// (<see cref="TradeAdmission"/>: a plan or a refusal), try the planned sellers in order and fail
/// over before the first byte (each attempt's request from <see cref="SellerRequests"/>), relay the
/// answer whole or streamed (placeholders restored when the seller got redacted data, translated back
/// when the buyer came by another door), then hand the trade's record (<see cref="RelayedTrade"/>)
/// to the background writers. Nothing here waits for a database.
/// </summary>
internal sealed partial class TradeRelay(
    Marketplace market,
    ExchangeSettings settings,
    HttpMessageInvoker upstream,
    IUsageSink usage,
    BorderControl border,
    TradeAdmission admission,
    Diversifier diversifier,
    SellerRequests sellerRequests,
    AnswerRelay answers,
    ExchangeMetrics metrics,
    TimeProvider time,
    ILogger<TradeRelay> log)
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private int _inFlight;

    /// <summary>Requests inside the relay, including their bookkeeping after the response.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public async Task HandleAsync(HttpContext ctx, EndpointKind kind, Door door = Door.Native)
    {
        Interlocked.Increment(ref _inFlight);
        try
        {
            await HandleCoreAsync(ctx, kind, door).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task HandleCoreAsync(HttpContext ctx, EndpointKind kind, Door door)
    {
        var started = Stopwatch.GetTimestamp();
        var requestId = RequestIds.Next("req_");
        var response = ctx.Response;
        response.Headers["Entrepot-Request-Id"] = requestId;
        var key = market.Keys.Authenticate(BearerToken.From(ctx.Request));
        var aborted = ctx.RequestAborted;
        using var body = key is null ? null : await RequestBody.ReadAsync(ctx.Request, settings.MaxRequestBytes, aborted).ConfigureAwait(false);
        if (key is not null && body is null)
        {
            await RefuseAsync(ctx, Refusal.TooLarge(settings.MaxRequestBytes)).ConfigureAwait(false);
            return;
        }

        var headers = ctx.Request.Headers;
        var admitted = await admission.AdmitAsync(new BuyerCall(requestId, started, kind, door, key, body?.Memory ?? default)
        {
            ContentType = ctx.Request.ContentType,
            Preferences = Header(headers, ProviderPreferencesReader.Header),
            Subjects = Header(headers, PolicyEngine.SubjectsHeader),
            DataClass = Header(headers, BorderControl.DataClassHeader),
            AnthropicVersion = door == Door.Messages ? Header(headers, "anthropic-version") : null,
        }, aborted).ConfigureAwait(false);
        if (admitted.Plan is not { } plan)
        {
            await RefuseAsync(ctx, admitted.Refusal!).ConfigureAwait(false);
            return;
        }

        if (plan.Diversified is { } capped)
        {
            // The buyer's concentration cap binds: these sellers wait behind the others.
            response.Headers["Entrepot-Diversified"] = string.Join(',', capped);
        }

        var trade = new RelayedTrade(plan);
        if (admitted.Refusal is { } atTheBorder)
        {
            // Every candidate was denied: the request went nowhere, and the refusal is declared.
            await atTheBorder.WriteAsync(ctx).ConfigureAwait(false);
            trade.Outcome = Outcome.Refused;
            trade.Status = atTheBorder.Status;
            trade.Refusal = atTheBorder.Declaration;
            await RecordAsync(trade).ConfigureAwait(false);
            return;
        }

        var forward = Forwarded(plan.ChatBody, plan.Request);
        try
        {
            await ForwardAsync(ctx, forward, plan.ChatBody, plan.Sellers, trade, aborted).ConfigureAwait(false);
        }
        finally
        {
            forward.Dispose();
            await RecordAsync(trade).ConfigureAwait(false);
        }
    }

    private static string? Header(IHeaderDictionary headers, string name) => headers[name] is { Count: > 0 } v ? v.ToString() : null;

    /// <summary>A refusal before any trade: counted, and written in the door's shape.</summary>
    private Task RefuseAsync(HttpContext ctx, Refusal refusal)
    {
        metrics.Request(refusal.Metric ?? "rejected", null);
        return refusal.WriteAsync(ctx);
    }

    private async Task ForwardAsync(HttpContext ctx, ForwardContent forward, ReadOnlyMemory<byte> body, IReadOnlyList<Candidate> candidates, RelayedTrade trade, CancellationToken aborted)
    {
        HttpResponseMessage? lastFailure = null;
        try
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                var candidate = candidates[i];
                var provider = candidate.Provider;
                var health = candidate.Health;
                var isLast = i == candidates.Count - 1;

                // An open circuit is skipped while other sellers remain; as the last resort it gets a try.
                if (!health.Circuit.TryAcquire() && !isLast)
                {
                    continue;
                }

                // The request's total deadline at this seller: whatever it does, the attempt ends by then.
                var left = provider.TotalTimeout - Stopwatch.GetElapsedTime(trade.Started);
                if (left <= TimeSpan.Zero)
                {
                    await DeadlinePassedAsync(ctx, trade, provider.TotalTimeout).ConfigureAwait(false);
                    return;
                }

                trade.Attempts++;
                trade.Candidate = candidate;
                trade.SendNative(candidate);
                trade.Decision = trade.Border.Decide(provider.Counterparty);
                trade.Masking = trade.Border.MaskingFor(trade.Decision);
                // One timer per attempt: the first-byte timeout (or the deadline, if sooner), then the deadline.
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                var deadlineArmed = left < provider.FirstByteTimeout;
                timeout.CancelAfter(deadlineArmed ? left : provider.FirstByteTimeout);
                var redacted = trade.Native ? null : trade.Border.Body(trade.Masking, body.Span, trade.Request);
                var nativeBody = trade.Native ? NativeBody(trade.Plan) : null;
                var sending = nativeBody ?? redacted ?? forward.Bytes;

                // One hash of the bytes sent serves the exchange's signature and the receipt check.
                trade.RequestSha256 = Core.Trust.Sha256Hex.Of(sending.Span);
                using var message = sellerRequests.Build(trade.Plan, candidate, trade.Attempts,
                    nativeBody is not null ? ForwardContent.Of(nativeBody) : redacted is not null ? ForwardContent.Of(redacted) : forward.CreateContent(), trade.RequestSha256,
                    trade.Native ? provider.NativeUrl(trade.Plan.DoorApi!) : null);
                trade.BuyerAlias = sellerRequests.Alias(provider.Id, trade.Key.Account.Id);

                var sent = Stopwatch.GetTimestamp();
                HttpResponseMessage upstreamResponse;
                try
                {
                    upstreamResponse = await upstream.SendAsync(message, timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (aborted.IsCancellationRequested)
                {
                    trade.Outcome = Outcome.ClientCancelled;
                    trade.UpstreamTicks += Stopwatch.GetTimestamp() - sent;
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    trade.UpstreamTicks += Stopwatch.GetTimestamp() - sent;
                    var reason = e is OperationCanceledException ? "timeout" : "connect";
                    Failed(candidate, reason);
                    LogAttemptFailed(log, trade.RequestId, provider.Id, reason);
                    if (e is OperationCanceledException && deadlineArmed)
                    {
                        // The timer that fired was the request's deadline (timers may fire a hair before
                        // a stopwatch says the time is up: the flag, not the clock, decides).
                        await DeadlinePassedAsync(ctx, trade, provider.TotalTimeout).ConfigureAwait(false);
                        return;
                    }

                    continue;
                }

                trade.UpstreamTicks += Stopwatch.GetTimestamp() - sent;
                var status = (int)upstreamResponse.StatusCode;
                if (status == 429 || status >= 500)
                {
                    Failed(candidate, status == 429 ? "429" : "5xx");
                    LogAttemptFailed(log, trade.RequestId, provider.Id, status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    lastFailure?.Dispose();
                    lastFailure = upstreamResponse;
                    continue;
                }

                health.RecordFirstByte(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                var rest = provider.TotalTimeout - Stopwatch.GetElapsedTime(trade.Started);
                timeout.CancelAfter(rest > TimeSpan.Zero ? rest : TimeSpan.Zero);
                using (upstreamResponse)
                {
                    var generationStart = Stopwatch.GetTimestamp();
                    var isEventStream = upstreamResponse.Content.Headers.ContentType?.MediaType == "text/event-stream";
                    try
                    {
                        if (status < 300 && trade.Request.Stream && isEventStream)
                        {
                            await answers.StreamAsync(ctx, upstreamResponse, trade, timeout.Token, aborted).ConfigureAwait(false);
                        }
                        else
                        {
                            await answers.WholeAsync(ctx, upstreamResponse, trade, timeout.Token).ConfigureAwait(false);
                        }
                    }
                    catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !ctx.Response.HasStarted && !aborted.IsCancellationRequested)
                    {
                        // The body broke, grew past the cap or took past the deadline before the buyer saw a
                        // byte: still time to go to the next seller, unless the deadline is gone.
                        Failed(candidate, "body");
                        LogAttemptFailed(log, trade.RequestId, provider.Id, "body");
                        if (e is OperationCanceledException)
                        {
                            await DeadlinePassedAsync(ctx, trade, provider.TotalTimeout).ConfigureAwait(false);
                            return;
                        }

                        continue;
                    }

                    if (trade.Breach is not null)
                    {
                        // The seller broke a limit after the buyer had bytes: it was cut off there.
                        Failed(candidate, "limit");
                        LogStreamCut(log, trade.RequestId, provider.Id, trade.Breach);
                        return;
                    }

                    if (status < 300)
                    {
                        health.RecordSuccess();
                        health.RecordThroughput(trade.Usage.OutputTokens, Stopwatch.GetElapsedTime(generationStart).TotalMilliseconds);
                    }
                    else
                    {
                        // A 4xx is the buyer's problem, not the seller's health.
                        health.RecordSuccess();
                        trade.Outcome = Outcome.SellerRejected;
                    }
                }

                return;
            }

            await NoSellerAnsweredAsync(ctx, lastFailure, trade).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            trade.Outcome = Outcome.ClientCancelled;
        }
        catch (Exception e) when (e is IOException or HttpRequestException && ctx.Response.HasStarted)
        {
            // The seller's stream broke after the buyer had bytes: nothing can be retried now.
            trade.Outcome = Outcome.Interrupted;
            trade.Candidate?.Health.RecordFailure();
            LogStreamBroken(log, trade.RequestId, trade.Candidate?.Provider.Id);
            ctx.Abort();
        }
        finally
        {
            lastFailure?.Dispose();
        }
    }

    /// <summary>504: the request's total deadline passed before any seller's answer reached the buyer.</summary>
    private static Task DeadlinePassedAsync(HttpContext ctx, RelayedTrade trade, TimeSpan limit) =>
        NoAnswerAsync(ctx, trade, Refusal.DeadlinePassed(trade.Request.Model, limit, trade.Attempts));

    /// <summary>No seller's answer reached the buyer: the trade failed upstream and says why.</summary>
    private static Task NoAnswerAsync(HttpContext ctx, RelayedTrade trade, Refusal refusal)
    {
        trade.Outcome = Outcome.UpstreamFailed;
        trade.Candidate = null;
        trade.Status = refusal.Status;
        return refusal.WriteAsync(ctx);
    }

    private void Failed(Candidate candidate, string reason)
    {
        candidate.Health.RecordFailure();
        metrics.Failover(candidate.Provider.Id, reason);
    }

    private static Task NoSellerAnsweredAsync(HttpContext ctx, HttpResponseMessage? lastFailure, RelayedTrade trade) =>
        NoAnswerAsync(ctx, trade, lastFailure?.StatusCode == HttpStatusCode.TooManyRequests
            ? Refusal.SellersAtCapacity(trade.Request.Model, trade.Attempts, Math.Max(1, (int)Math.Ceiling(lastFailure.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1)))
            : Refusal.NoSellerAnswered(trade.Request.Model, trade.Attempts));

    /// <summary>The buyer's body through its door as a native seller gets it: unchanged but for the
    /// exchange's own <c>provider</c> object.</summary>
    private static byte[] NativeBody(TradePlan plan)
    {
        var writer = new ArrayBufferWriter<byte>(plan.DoorBody.Length + 16);
        ForwardBody.Write(plan.DoorBody.Span, stream: false, writer);
        return writer.WrittenSpan.ToArray();
    }

    private static ForwardContent Forwarded(ReadOnlyMemory<byte> body, InferenceRequest request)
    {
        if (!request.NeedsRewrite)
        {
            return new ForwardContent(body, null);
        }

        var writer = new ArrayBufferWriter<byte>(body.Length + 64);
        ForwardBody.Write(body.Span, request.Stream, writer);
        return new ForwardContent(writer.WrittenMemory, null);
    }

    private async ValueTask RecordAsync(RelayedTrade relayed)
    {
        var trade = relayed.Result();
        var c = trade.Candidate;
        var u = trade.Usage;
        var delivered = trade.Delivered;
        metrics.Request(OutcomeNames.Of(trade.Outcome), c?.Provider.Id);
        metrics.Tokens(u.InputTokens, u.OutputTokens);
        if (delivered)
        {
            diversifier.Record(trade.Plan.Key.Account.Id, c!.Provider.Jurisdiction, c.Provider.Id, u.InputTokens + u.OutputTokens);
        }

        if (trade.OverheadUs > 0)
        {
            metrics.Overhead(trade.OverheadUs);
        }

        // The data crossed: its subjects count toward this seller's thresholds.
        if (trade.Crossed)
        {
            border.Crossed(trade.Border, c!.Provider.Counterparty);
        }

        var hold = trade.Plan.Hold;
        if (!delivered)
        {
            hold?.Release();
        }

        var now = time.GetUtcNow();
        var elapsed = Stopwatch.GetElapsedTime(trade.Plan.Started);
        // The trade recorder's thread counts the tokens itself, settles the trade at the quote, checks
        // and countersigns a seller's receipt, charges the hold and writes the row and the ledger
        // entry, in one transaction; nothing here waits for it.
        var recorded = await usage.RecordAsync(trade.ToRecord(now, elapsed)).ConfigureAwait(false);
        if (!recorded)
        {
            hold?.Release(); // the exchange is stopping: nothing is billed, nothing stays held
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: seller {Provider} failed ({Reason}); trying the next")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string provider, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: seller {Provider} cut off: it {Breach}")]
    private static partial void LogStreamCut(ILogger logger, string requestId, string provider, string breach);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {RequestId}: stream from seller {Provider} broke after the first byte")]
    private static partial void LogStreamBroken(ILogger logger, string requestId, string? provider);

    /// <summary>The forwarded body; a fresh <see cref="HttpContent"/> per attempt over the same bytes.</summary>
    private readonly record struct ForwardContent(ReadOnlyMemory<byte> Bytes, IDisposable? Owner) : IDisposable
    {
        public static HttpContent Of(byte[] bytes) => new ForwardContent(bytes, null).CreateContent();

        public HttpContent CreateContent()
        {
            var content = new ReadOnlyMemoryContent(Bytes);
            content.Headers.ContentType = JsonContentType;
            return content;
        }

        public void Dispose() => Owner?.Dispose();
    }
}
