using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Trust;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Countersigned receipts. The exchange hands in what it observed; this store's writer thread runs
/// the check and the signatures (about 0.1 ms of Ed25519 and hashing per receipt, kept off the
/// request path) and commits the documents in batches.
/// </summary>
public sealed class SqliteReceiptStore : IAsyncDisposable
{
    private readonly SqliteDatabase _db;
    private readonly Func<ReceiptEvidence, JsonObject> _issue;
    private readonly PreparedInsert _insert;
    private readonly BatchWriter<ReceiptEvidence> _writer;

    private readonly SqliteLedger? _ledger;
    private readonly decimal _feePercent;

    /// <param name="ledger">Where each receipt is billed (postings for buyer, seller and fee), once per receipt.</param>
    public SqliteReceiptStore(SqliteDatabase db, Func<ReceiptEvidence, JsonObject> issue, SqliteLedger? ledger = null, decimal feePercent = 0)
    {
        _db = db;
        _issue = issue;
        _ledger = ledger;
        _feePercent = feePercent;
        _insert = new PreparedInsert(db, """
            INSERT INTO receipts(request_id, account_id, provider_id, kind, verified, flags, document, created_at)
            VALUES ($rid, $acc, $pid, $kind, $ver, $flags, $doc, $ts)
            ON CONFLICT(request_id) DO NOTHING
            """, "$rid", "$acc", "$pid", "$kind", "$ver", "$flags", "$doc", "$ts");
        _writer = new BatchWriter<ReceiptEvidence>(Write, "entrepot receipt writer");
    }

    public ValueTask RecordAsync(ReceiptEvidence evidence) => _writer.EnqueueAsync(evidence);

    public Task FlushAsync(CancellationToken ct = default) => _writer.FlushAsync(ct);

    private void Write(List<ReceiptEvidence> batch)
    {
        var docs = batch.Select(e => (Evidence: e, Doc: _issue(e))).ToList();
        _insert.Write(docs, static (x, p) =>
        {
            var check = x.Doc["check"]!;
            p[0].Value = x.Evidence.RequestId;
            p[1].Value = x.Evidence.Buyer;
            p[2].Value = x.Evidence.SellerId;
            p[3].Value = (string?)x.Doc["receipt"]!["kind"] ?? "";
            p[4].Value = (bool?)check["seller_signature_verified"] == true ? 1 : 0;
            p[5].Value = string.Join(",", (check["flags"] as JsonArray ?? []).Select(f => (string?)f));
            p[6].Value = Encoding.UTF8.GetString(CanonicalJson.Serialize(x.Doc));
            p[7].Value = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        });
        _ledger?.Append(docs.Select(x =>
        {
            var r = x.Doc["receipt"]!;
            var cost = decimal.Parse((string?)r["cost"] ?? "0", NumberStyles.Number, CultureInfo.InvariantCulture);
            return (x.Evidence.RequestId, x.Evidence.Finished, (string?)r["price"]?["currency"] ?? x.Evidence.Currency,
                Core.Ledger.LedgerEntry.ForTrade(x.Evidence.Buyer, x.Evidence.SellerId, cost, _feePercent));
        }).ToList());
    }

    /// <summary>The receipt of a request, if it belongs to <paramref name="accountId"/> (any account when null).</summary>
    public string? Find(string requestId, string? accountId)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT document FROM receipts WHERE request_id = $rid AND ($acc IS NULL OR account_id = $acc)";
        cmd.Parameters.AddWithValue("$rid", requestId);
        cmd.Parameters.AddWithValue("$acc", (object?)accountId ?? DBNull.Value);
        return cmd.ExecuteScalar() as string;
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _insert.Dispose();
        _ledger?.Dispose();
    }
}
