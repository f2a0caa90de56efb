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
/// killed, between a seller's answer and its own commit) and posts each exactly once: checked
/// against the node's published key, countersigned with a <c>reconciled_from_seller_log</c> flag,
/// and written by the trade log like any trade (usage row, receipt, ledger entry), which skips a
/// receipt the ledger already has. A cursor per node (the last log sequence number handled) is
/// kept in the database, so each run reads only what is new.
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
    ILogger<Reconciler> logger) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);

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
            var nodes = new List<NodeReconciliation>();
            foreach (var p in market.Routes.All.Select(c => c.Provider).Where(p => p.Kind == ProviderKind.Exporter).DistinctBy(p => p.Id))
            {
                nodes.Add(await NodeAsync(p, cutoff, ct).ConfigureAwait(false));
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

    private async Task<NodeReconciliation> NodeAsync(Provider p, DateTimeOffset cutoff, CancellationToken outer)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(outer);
        bounded.CancelAfter(CallTimeout * 4);
        var ct = bounded.Token;
        long cursor = Cursor(p.Id);
        int fetched = 0, posted = 0, already = 0, rejected = 0;
        try
        {
            var keys = await NodeKeysAsync(p, ct).ConfigureAwait(false);
            while (true)
            {
                var page = await PageAsync(p, cursor, ct).ConfigureAwait(false);
                // What follows asks the stores synchronously (the ledger may be PostgreSQL, over a socket):
                // never on the socket thread that may have completed the page, which would wait for itself.
                await Task.Yield();
                var records = new List<UsageRecord>();
                long next = cursor;
                bool young = false;
                foreach (var (seq, doc) in page.Items)
                {
                    fetched++;
                    if (doc["receipt"] is JsonObject body && Time(body["finished_at"]) > cutoff)
                    {
                        young = true;
                        break;
                    }

                    next = seq;
                    if (Check(doc, p, keys) is not { } record)
                    {
                        rejected++;
                        continue;
                    }

                    if (ledger.Contains(record.RequestId) || log.Knows(record.RequestId))
                    {
                        already++;
                        continue;
                    }

                    records.Add(record);
                }

                foreach (var r in records)
                {
                    await trades.RecordAsync(r).ConfigureAwait(false);
                }

                // Committed before the cursor moves: a crash in between re-reads these, and the
                // trade log skips what the ledger already holds.
                await trades.FlushAsync(ct).ConfigureAwait(false);
                posted += records.Count;
                if (next != cursor)
                {
                    SaveCursor(p.Id, next);
                    cursor = next;
                }

                if (young || !page.HasMore)
                {
                    break;
                }
            }

            return new NodeReconciliation(p.Id, cursor, fetched, posted, already, rejected, null);
        }
        catch (Exception e) when (!outer.IsCancellationRequested && (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
            or InvalidDataException or Npgsql.NpgsqlException or OperationCanceledException))
        {
            return new NodeReconciliation(p.Id, cursor, fetched, posted, already, rejected,
                e is OperationCanceledException ? $"gave up after {(CallTimeout * 4).TotalSeconds} s (node or store too slow); the next pass resumes from the cursor"
                : e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message);
        }
    }

    /// <summary>The trade a receipt proves, or null when it is not this node's genuine receipt.</summary>
    private UsageRecord? Check(JsonObject doc, Provider p, IReadOnlyDictionary<string, string> keys)
    {
        if (doc["receipt"] is not JsonObject body || doc["seller"] is not JsonObject seller || Receipts.VerifySeller(body, seller) is not null)
        {
            return null;
        }

        var keyId = (string?)seller["key_id"];
        var publicKey = Receipts.FromBase64Url((string?)seller["public_key"]);
        if (keyId is null || publicKey is null || (p.ReceiptKey is { } pinned ? !KeyPin.Matches(pinned, publicKey) : !keys.TryGetValue(keyId, out var pk) || pk != (string?)seller["public_key"]))
        {
            return null;
        }

        var requestId = (string?)body["request_id"];
        var buyer = (string?)body["buyer"];
        if (string.IsNullOrEmpty(requestId) || string.IsNullOrEmpty(buyer) || market.Accounts.Find(buyer) is not { } account)
        {
            return null;
        }

        long input = Long(body["input_tokens"]), output = Long(body["output_tokens"]);
        var price = body["price"] as JsonObject;
        decimal inputPrice = Dec(price?["input"]), outputPrice = Dec(price?["output"]);
        var currency = (string?)price?["currency"] ?? p.Price.Currency;
        var finished = Time(body["finished_at"]);
        var started = Time(body["started_at"]);
        var model = (string?)body["model"] ?? "";
        return new UsageRecord
        {
            RequestId = requestId,
            Timestamp = finished,
            AccountId = account.Id,
            Model = model,
            ProviderId = p.Id,
            OriginJurisdiction = account.HomeJurisdiction,
            DestinationJurisdiction = p.Region ?? p.Jurisdiction,
            InputTokens = input,
            OutputTokens = output,
            Currency = currency,
            Outcome = Outcome.Reconciled,
            StatusCode = 200,
            Attempts = (int)Long(body["attempt"]),
            LatencyMs = (finished - started).TotalMilliseconds,
            Receipt = new ReceiptEvidence
            {
                RequestId = requestId,
                Attempt = (int)Long(body["attempt"]),
                Buyer = account.Id,
                SellerId = p.Id,
                SellerIsExporter = true,
                Model = model,
                ClaimedInput = input,
                ClaimedOutput = output,
                CountedInput = input,
                CountedOutput = output,
                InputPrice = inputPrice,
                OutputPrice = outputPrice,
                Currency = currency,
                Started = started,
                Finished = finished,
                RequestSha256 = (string?)body["request_sha256"] ?? "",
                ResponseSha256 = (string?)body["response_sha256"] ?? "",
                SellerReceipt = doc.ToJsonString(),
                PinnedSellerKey = p.ReceiptKey,
                Reconciled = true,
            },
        };
    }

    private async Task<IReadOnlyDictionary<string, string>> NodeKeysAsync(Provider p, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(Root(p), ".well-known/entrepot/keys"));
        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        var set = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false))?["keys"] as JsonArray
            ?? throw new InvalidDataException("the node's key set has no 'keys'");
        return set.OfType<JsonObject>()
            .Where(k => (string?)k["kid"] is not null && (string?)k["public_key"] is not null)
            .ToDictionary(k => (string)k["kid"]!, k => (string)k["public_key"]!, StringComparer.Ordinal);
    }

    private async Task<(List<(long Seq, JsonObject Doc)> Items, bool HasMore)> PageAsync(Provider p, long since, CancellationToken ct)
    {
        var target = "/v1/receipts?since=" + since.ToString(CultureInfo.InvariantCulture) + "&limit=500";
        var root = Root(p);
        var path = root.AbsolutePath.TrimEnd('/') + target;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(root, path.TrimStart('/')));
        var requestId = "reconcile_" + Guid.CreateVersion7().ToString("N");
        var (kid, ts, sig) = RequestSignature.Sign(exchangeKey, "GET", path, time.GetUtcNow(), requestId, ReadOnlySpan<byte>.Empty);
        request.Headers.TryAddWithoutValidation("Entrepot-Request-Id", requestId);
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
            .ToList();
        return (items, page["has_more"]?.GetValue<bool>() == true);
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

    private static decimal Dec(JsonNode? n) =>
        (string?)n is { } s && decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) ? d : 0m;

    private static DateTimeOffset Time(JsonNode? n) =>
        (string?)n is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : DateTimeOffset.MinValue;

    public void Dispose() => _one.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation: {Posted} receipts posted from exporter logs, {Already} already billed, {Rejected} rejected. {Errors}")]
    private static partial void LogReport(ILogger logger, int posted, int already, int rejected, string errors);
}

/// <summary>What one reconciliation pass did, per exporter node.</summary>
public sealed record ReconcileReport(IReadOnlyList<NodeReconciliation> Nodes)
{
    public int Posted => Nodes.Sum(n => n.Posted);
    public int AlreadyBilled => Nodes.Sum(n => n.AlreadyBilled);
    public int Rejected => Nodes.Sum(n => n.Rejected);
}

public sealed record NodeReconciliation(
    [property: System.Text.Json.Serialization.JsonPropertyName("provider")] string Provider,
    [property: System.Text.Json.Serialization.JsonPropertyName("cursor")] long Cursor,
    [property: System.Text.Json.Serialization.JsonPropertyName("fetched")] int Fetched,
    [property: System.Text.Json.Serialization.JsonPropertyName("posted")] int Posted,
    [property: System.Text.Json.Serialization.JsonPropertyName("already_billed")] int AlreadyBilled,
    [property: System.Text.Json.Serialization.JsonPropertyName("rejected")] int Rejected,
    [property: System.Text.Json.Serialization.JsonPropertyName("error")] string? Error);
