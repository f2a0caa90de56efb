using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Entrepot.Core.Market;
using Entrepot.Core.Metering;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Settlement;

/// <summary>
/// Pulls the receipts exporter nodes issued that the exchange never recorded (it stopped, or was
/// killed, between a seller's answer and its own commit) and bills each at most once. A receipt from
/// a seller's log is billed only when it proves an attempt the exchange really forwarded: signed by
/// the node's pinned (or published) key, carrying the quote the exchange sealed for that very request,
/// attempt, seller and buyer, with counts within the quote's bounds, and for a request the exchange has
/// no record of at all (a recorded request's other attempts failed, and are never billed from a log).
/// Of several attempts of one request only the last can have been answered; the others are refused.
/// The trade is billed at the quote's price and dated by it (the exchange's clock), flagged
/// <c>reconciled_from_seller_log</c>. Everything refused is reported and counted against the seller.
/// A cursor per node (the last log sequence number handled) is kept, so each pass reads only what is new.
/// <para>
/// A pass reads at most <see cref="MaxPerNode"/> receipts of a node and says when more are waiting
/// (<see cref="NodeReconciliation.More"/>), and it keeps in memory a whole trade only for a receipt
/// the exchange has no record of: of one it has billed, the request id and attempt. Holding every
/// receipt read as a trade put five minutes of a busy node's receipts in memory at once (641 MB in
/// front of a node at 2,500 requests/s; docs/PERFORMANCE.md), and a node's log after a long outage
/// had no bound at all.
/// </para>
/// </summary>
public sealed partial class Reconciler(
    Marketplace market,
    HttpMessageInvoker http,
    SigningKey exchangeKey,
    TradeRecorder trades,
    SqliteTradeStore log,
    Storage.ILedgerStore ledger,
    SqliteDatabase db,
    TimeProvider time,
    ILogger<Reconciler> logger,
    Storage.ITradeArchive? history = null,
    SellerDisputes? disputes = null) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly byte[] _quoteKey = exchangeKey.DeriveSecret(Relay.SellerRequests.QuoteKeyLabel);
    private readonly byte[] _aliasKey = exchangeKey.DeriveSecret(Relay.SellerRequests.AliasKeyLabel);

    /// <summary>Receipts read from one node in one pass, at most, by default.</summary>
    public const int DefaultMaxPerNode = 10_000;

    /// <summary>Receipts read from one node in one pass, at most; the next pass goes on from there.</summary>
    internal int MaxPerNode { get; set; } = DefaultMaxPerNode;

    /// <summary>Receipts younger than this are left for the next run unless the caller says otherwise:
    /// their trade may still be on its way into the exchange's own log.</summary>
    public static readonly TimeSpan DefaultSettle = TimeSpan.FromSeconds(60);

    /// <summary>One pass over every exporter node in the market. Cancelling <paramref name="ct"/> (the
    /// exchange stopping) ends it with <see cref="OperationCanceledException"/>, not a node error.</summary>
    public async Task<ReconcileReport> RunAsync(TimeSpan settle, CancellationToken ct = default)
    {
        // Fixed once, before anything is awaited: computed per node after the earlier nodes' calls,
        // it drifted forward by their duration, and a receipt whose trade was still queued for the
        // trade writer counted as settled and was posted a second time.
        var cutoff = time.GetUtcNow() - settle;
        await _one.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Every node's log first, then one decision per request id across all of them (a request
            // tried at two nodes has a receipt in each), then the posts, then the cursors.
            var reads = new List<NodeRead>();
            foreach (var p in market.Routes.All.Select(c => c.Provider).Where(p => p.Kind == ProviderKind.Exporter).DistinctBy(p => p.Id))
            {
                reads.Add(await ReadNodeAsync(p, cutoff, ct).ConfigureAwait(false));
            }

            await Task.Yield(); // the stores are asked synchronously: never on a socket thread
            var last = reads.SelectMany(r => r.Candidates).GroupBy(c => c.RequestId)
                .ToDictionary(g => g.Key, g => g.MaxBy(c => c.Attempt)!, StringComparer.Ordinal);
            var nodes = new List<NodeReconciliation>();
            foreach (var read in reads)
            {
                var records = new List<UsageRecord>();
                var refused = new Dictionary<string, int>(read.Refused, StringComparer.Ordinal);
                int already = 0;
                foreach (var candidate in read.Candidates)
                {
                    var chosen = last[candidate.RequestId];
                    if (!ReferenceEquals(chosen, candidate) && chosen.Attempt == candidate.Attempt)
                    {
                        already++; // the same attempt's receipt twice: it is billed once
                    }
                    else if (!ReferenceEquals(chosen, candidate))
                    {
                        Count(refused, "a later attempt of the same request exists (this one failed)");
                    }
                    else if (candidate.Record is null || Known(candidate.RequestId))
                    {
                        // Billed already, or recorded by the exchange with another outcome (every other attempt
                        // failed or the buyer left): either way this log entry bills nothing.
                        already++;
                    }
                    else
                    {
                        records.Add(candidate.Record);
                    }
                }

                foreach (var r in records)
                {
                    await trades.RecordAsync(r).ConfigureAwait(false);
                }

                // Committed before the cursor moves: a crash in between re-reads these, and the
                // trade recorder skips what the log or the ledger already holds.
                await trades.FlushAsync(ct).ConfigureAwait(false);
                // Also after a failure part-way: what was read up to the cursor is decided. Left where it
                // was, a node's log longer than one pass could read before the time bound was read again
                // from the same place by every pass, for ever (most of a core in vs-bare run 182839).
                if (read.Cursor != read.From)
                {
                    SaveCursor(read.Provider, read.Cursor);
                }

                var rejected = refused.Values.Sum();
                if (rejected > 0)
                {
                    disputes?.Refused(read.Provider, rejected);
                    log.CountRefused(read.Provider, rejected);
                    LogRefused(logger, read.Provider, rejected, string.Join("; ", refused.Select(kv => $"{kv.Value} {kv.Key}")));
                }

                nodes.Add(new NodeReconciliation(read.Provider, read.Cursor, read.Fetched, records.Count, already, rejected, read.Error)
                {
                    Refusals = refused,
                    More = read.More,
                });
            }

            var report = new ReconcileReport(nodes);
            if (report.Posted > 0 || nodes.Any(n => n.Error is not null))
            {
                LogReport(logger, report.Posted, report.AlreadyBilled, report.Rejected, string.Join("; ", nodes.Where(n => n.Error is not null).Select(n => n.Provider + ": " + n.Error)));
            }

            return report;
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>No single call to a node may hold a pass (and every later one, which waits for it) for longer.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A receipt that proves an attempt: the whole trade only while the exchange has no record of
    /// its request (<see cref="Record"/> is null for one it knows).</summary>
    private sealed record Candidate(string RequestId, int Attempt, UsageRecord? Record);

    private sealed record NodeRead(string Provider, long From, long Cursor, int Fetched, List<Candidate> Candidates, Dictionary<string, int> Refused, string? Error, bool More = false);

    /// <summary>Whether the exchange billed the request or recorded it with another outcome.</summary>
    private bool Known(string requestId) => ledger.Contains(requestId) || log.Knows(requestId) || (history?.Knows(requestId) ?? false);

    private async Task<NodeRead> ReadNodeAsync(Provider p, DateTimeOffset cutoff, CancellationToken outer)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(outer);
        bounded.CancelAfter(CallTimeout * 4);
        var ct = bounded.Token;
        await Task.Yield();
        long from = Cursor(p.Id), cursor = from;
        int fetched = 0;
        var candidates = new List<Candidate>();
        var refused = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            var keys = await NodeKeysAsync(p, ct).ConfigureAwait(false);
            while (true)
            {
                var page = await PageAsync(p, cursor, ct).ConfigureAwait(false);
                // What follows may ask a store synchronously (a cluster's accounts are in PostgreSQL): never
                // on the socket thread that may have completed the page, which would wait for itself.
                await Task.Yield();
                bool young = false, full = false;
                foreach (var (seq, doc) in page.Items)
                {
                    if (fetched == MaxPerNode)
                    {
                        full = true;
                        break;
                    }

                    fetched++;
                    var (record, refusal, issued) = Check(doc, p, keys);
                    if (issued > cutoff)
                    {
                        young = true;
                        break;
                    }

                    cursor = seq;
                    if (record is null)
                    {
                        Count(refused, refusal!);
                        continue;
                    }

                    candidates.Add(new Candidate(record.RequestId, record.Receipt!.Attempt, Known(record.RequestId) ? null : record));
                }

                if (full)
                {
                    return new NodeRead(p.Id, from, cursor, fetched, candidates, refused, null, More: true);
                }

                if (young || !page.HasMore)
                {
                    break;
                }
            }

            return new NodeRead(p.Id, from, cursor, fetched, candidates, refused, null);
        }
        catch (Exception e) when (!outer.IsCancellationRequested && (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
            or InvalidDataException or OperationCanceledException))
        {
            // What was read before the failure is still decided on, and the cursor moves past it.
            return new NodeRead(p.Id, from, cursor, fetched, candidates, refused,
                e is OperationCanceledException ? $"gave up after {(CallTimeout * 4).TotalSeconds} s (node too slow); the next pass resumes from the cursor"
                : e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message);
        }
    }

    private static void Count(Dictionary<string, int> counts, string reason) => counts[reason] = counts.GetValueOrDefault(reason) + 1;

    /// <summary>The trade a receipt proves, or why it proves none; and when its quote was issued (the
    /// exchange's clock; the seller's own time when it has no valid quote).</summary>
    private (UsageRecord? Record, string? Refusal, DateTimeOffset Issued) Check(JsonObject doc, Provider p, IReadOnlyDictionary<string, string> keys)
    {
        var receipt = SellerReceipt.TryRead(doc, out var problem);
        if (receipt is null)
        {
            return (null, "unreadable receipt (" + problem + ")", DateTimeOffset.MinValue);
        }

        var quote = Quote.Open(receipt.Quote, _quoteKey);
        var issued = quote?.Issued ?? receipt.Finished;
        if (receipt.SignatureProblem is not null)
        {
            return (null, "signature does not verify", issued);
        }

        if (p.ReceiptKey is { } pinned ? !KeyPin.Matches(pinned, receipt.PublicKey)
            : !keys.TryGetValue(receipt.KeyId, out var published) || published != Receipts.Base64Url(receipt.PublicKey))
        {
            return (null, "not signed with the node's key", issued);
        }

        if (quote is null)
        {
            return (null, "carries no quote the exchange sealed (invented or altered)", issued);
        }

        if (quote.RequestId != receipt.RequestId || quote.Attempt != receipt.Attempt || quote.Seller != p.Id || quote.Buyer != receipt.Buyer || receipt.SellerId != p.Id)
        {
            return (null, "its quote was sealed for another request, attempt, seller or buyer", issued);
        }

        if (AccountOf(p.Id, quote.Buyer) is not { } account)
        {
            return (null, "names no buyer of this exchange", issued);
        }

        if (receipt.InputTokens is < 0 || receipt.OutputTokens is < 0 || receipt.InputTokens > quote.MaxInput || receipt.OutputTokens > quote.MaxOutput)
        {
            return (null, "counts outside the quote's bounds", issued);
        }

        var record = new UsageRecord
        {
            RequestId = receipt.RequestId,
            Timestamp = quote.Issued,
            AccountId = account.Id,
            Model = receipt.Model,
            ProviderId = p.Id,
            OriginJurisdiction = account.HomeJurisdiction,
            DestinationJurisdiction = p.Region ?? p.Jurisdiction,
            InputTokens = receipt.InputTokens,
            OutputTokens = receipt.OutputTokens,
            Currency = quote.Currency,
            Outcome = Outcome.Reconciled,
            StatusCode = 200,
            Attempts = receipt.Attempt,
            LatencyMs = Math.Max(0, (receipt.Finished - receipt.Started).TotalMilliseconds),
            Receipt = new ReceiptEvidence
            {
                RequestId = receipt.RequestId,
                Attempt = receipt.Attempt,
                Buyer = account.Id,
                BuyerAlias = quote.Buyer,
                SellerId = p.Id,
                SellerIsExporter = true,
                Model = receipt.Model,
                ClaimedInput = receipt.InputTokens,
                ClaimedOutput = receipt.OutputTokens,
                CountedInput = receipt.InputTokens,
                CountedOutput = receipt.OutputTokens,
                MaxInput = quote.MaxInput,
                MaxOutput = quote.MaxOutput,
                InputPrice = quote.InputPrice,
                OutputPrice = quote.OutputPrice,
                Currency = quote.Currency,
                Started = receipt.Started,
                Finished = receipt.Finished,
                RequestSha256 = receipt.RequestSha256,
                ResponseSha256 = receipt.ResponseSha256,
                SellerReceipt = doc.ToJsonString(),
                PinnedSellerKey = p.ReceiptKey,
                Reconciled = true,
            },
        };
        return (record, null, issued);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Seller, string Alias), string> _aliases = new();

    /// <summary>The account a seller's pseudonym stands for (every account's pseudonym for the seller
    /// is made once and kept).</summary>
    private Core.Accounts.Account? AccountOf(string seller, string alias)
    {
        if (!_aliases.TryGetValue((seller, alias), out var id))
        {
            foreach (var a in market.Accounts.List())
            {
                _aliases.TryAdd((seller, BuyerAlias.Of(_aliasKey, seller, a.Id)), a.Id);
            }

            if (!_aliases.TryGetValue((seller, alias), out id))
            {
                return null;
            }
        }

        return market.Accounts.Find(id);
    }

    private async Task<IReadOnlyDictionary<string, string>> NodeKeysAsync(Provider p, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Root(p), ".well-known/entrepot/keys"));
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var set = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false))?["keys"] as JsonArray
            ?? throw new InvalidDataException("the node's key set has no 'keys'");
        return set.OfType<JsonObject>()
            .Where(k => k["kid"] is JsonValue kv && kv.GetValueKind() == System.Text.Json.JsonValueKind.String && k["public_key"] is JsonValue pv && pv.GetValueKind() == System.Text.Json.JsonValueKind.String)
            .GroupBy(k => (string)k["kid"]!)
            .ToDictionary(g => g.Key, g => (string)g.First()["public_key"]!, StringComparer.Ordinal);
    }

    private async Task<(List<(long Seq, JsonObject Doc)> Items, bool HasMore)> PageAsync(Provider p, long since, CancellationToken ct)
    {
        var target = "/v1/receipts?since=" + since.ToString(CultureInfo.InvariantCulture) + "&limit=500";
        var root = Root(p);
        var path = root.AbsolutePath.TrimEnd('/') + target;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, path.TrimStart('/')));
        var requestId = "reconcile_" + Guid.CreateVersion7().ToString("N");
        var (kid, ts, sig) = RequestSignature.Sign(exchangeKey, "GET", path, p.Id, time.GetUtcNow(), requestId, ReadOnlySpan<byte>.Empty,
            [new(RequestSignature.RequestIdHeader, requestId), new(RequestSignature.AudienceHeader, p.Id)]);
        request.Headers.TryAddWithoutValidation(RequestSignature.RequestIdHeader, requestId);
        request.Headers.TryAddWithoutValidation(RequestSignature.AudienceHeader, p.Id);
        request.Headers.TryAddWithoutValidation(RequestSignature.KeyHeader, kid);
        request.Headers.TryAddWithoutValidation(RequestSignature.TimestampHeader, ts);
        request.Headers.TryAddWithoutValidation(RequestSignature.SignatureHeader, sig);
        if (p.ApiKey is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {target} answered {(int)response.StatusCode}: {text}");
        }

        var page = JsonNode.Parse(text) as JsonObject ?? throw new InvalidDataException("the receipt log page is not a JSON object");
        var items = (page["data"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(e => (Long(e["seq"]), e["receipt"] as JsonObject ?? []))
            .Where(e => e.Item1 > since)
            .ToList();
        return (items, page["has_more"] is JsonValue more && more.GetValueKind() == System.Text.Json.JsonValueKind.True);
    }

    /// <summary>The node's root: a provider's base URL ends in /v1/.</summary>
    private static Uri Root(Provider p)
    {
        var s = p.BaseUrl.AbsoluteUri.TrimEnd('/');
        return new Uri((s.EndsWith("/v1", StringComparison.Ordinal) ? s[..^3] : s) + "/");
    }

    private long Cursor(string providerId)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT seq FROM reconcile_cursors WHERE provider_id = $p";
        cmd.Parameters.AddWithValue("$p", providerId);
        return cmd.ExecuteScalar() is long seq ? seq : 0;
    }

    private void SaveCursor(string providerId, long seq)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO reconcile_cursors(provider_id, seq, updated_at) VALUES ($p, $s, $t)
            ON CONFLICT(provider_id) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at
            """;
        cmd.Parameters.AddWithValue("$p", providerId);
        cmd.Parameters.AddWithValue("$s", seq);
        cmd.Parameters.AddWithValue("$t", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
        cmd.ExecuteNonQuery();
    }

    private static long Long(JsonNode? n) => n is JsonValue v && v.TryGetValue<long>(out var l) ? l : n is JsonValue w && w.TryGetValue<int>(out var i) ? i : 0;

    public void Dispose() => _one.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation: {Posted} receipts posted from exporter logs, {Already} already billed, {Rejected} rejected. {Errors}")]
    private static partial void LogReport(ILogger logger, int posted, int already, int rejected, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation: {Count} receipts in the log of {Provider} refused: {Reasons}")]
    private static partial void LogRefused(ILogger logger, string provider, int count, string reasons);
}

/// <summary>What one reconciliation pass did, per exporter node.</summary>
public sealed record ReconcileReport(IReadOnlyList<NodeReconciliation> Nodes)
{
    public int Posted => Nodes.Sum(n => n.Posted);
    public int AlreadyBilled => Nodes.Sum(n => n.AlreadyBilled);
    public int Rejected => Nodes.Sum(n => n.Rejected);

    /// <summary>Some node's pass stopped at <see cref="Reconciler.MaxPerNode"/> with more receipts waiting.</summary>
    public bool More => Nodes.Any(n => n.More);
}

public sealed record NodeReconciliation(
    [property: System.Text.Json.Serialization.JsonPropertyName("provider")] string Provider,
    [property: System.Text.Json.Serialization.JsonPropertyName("cursor")] long Cursor,
    [property: System.Text.Json.Serialization.JsonPropertyName("fetched")] int Fetched,
    [property: System.Text.Json.Serialization.JsonPropertyName("posted")] int Posted,
    [property: System.Text.Json.Serialization.JsonPropertyName("already_billed")] int AlreadyBilled,
    [property: System.Text.Json.Serialization.JsonPropertyName("rejected")] int Rejected,
    [property: System.Text.Json.Serialization.JsonPropertyName("error")] string? Error)
{
    /// <summary>Why receipts were refused, with how many each.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("refusals")]
    public IReadOnlyDictionary<string, int> Refusals { get; init; } = new Dictionary<string, int>();

    /// <summary>The pass read as many receipts of this node as one pass may; the next goes on from <see cref="Cursor"/>.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("more")]
    public bool More { get; init; }
}
