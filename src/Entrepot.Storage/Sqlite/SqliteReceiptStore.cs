using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Entrepot.Core.Metering;
using Entrepot.Core.Trust;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Reads receipts, which the trade recorder writes with each trade: a countersigned exporter receipt
/// is stored as its document; an exchange-only receipt (a plain OpenAI-compatible seller) is
/// countersigned from the trade's settled row when asked for (the same row always gives the same
/// signed document).
/// </summary>
public sealed class SqliteReceiptStore(SqliteDatabase db, SigningKey key, string exchangeId)
{
    /// <summary>The receipt of a request as canonical JSON, if it belongs to <paramref name="accountId"/> (any account when null).</summary>
    public string? Find(string requestId, string? accountId)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT document FROM receipts WHERE request_id = $rid AND ($acc IS NULL OR account_id = $acc)";
        cmd.Parameters.AddWithValue("$rid", requestId);
        cmd.Parameters.AddWithValue("$acc", (object?)accountId ?? DBNull.Value);
        if (cmd.ExecuteScalar() is string document)
        {
            return document;
        }

        cmd.CommandText = """
            SELECT attempts, account_id, provider_id, model, input_tokens, output_tokens, counted_input, counted_output,
                   price_input, price_output, currency, ts, latency_ms, request_sha256, response_sha256,
                   flags, counter, tolerance_percent, tolerance_tokens
            FROM usage WHERE request_id = $rid AND receipt = 'exchange-only' AND ($acc IS NULL OR account_id = $acc)
            ORDER BY seq LIMIT 1
            """;
        using var r = cmd.ExecuteReader();
        if (!r.Read())
        {
            return null;
        }

        var finished = DateTimeOffset.Parse(r.GetString(11), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
        var evidence = new ReceiptEvidence
        {
            RequestId = requestId,
            Attempt = r.GetInt32(0),
            Buyer = r.GetString(1),
            SellerId = r.GetString(2),
            Model = r.GetString(3),
            CountedInput = r.GetInt64(6),
            CountedOutput = r.GetInt64(7),
            InputPrice = decimal.Parse(r.GetString(8), NumberStyles.Number, CultureInfo.InvariantCulture),
            OutputPrice = decimal.Parse(r.GetString(9), NumberStyles.Number, CultureInfo.InvariantCulture),
            Currency = r.GetString(10),
            Started = finished - TimeSpan.FromMilliseconds(r.GetDouble(12)),
            Finished = finished,
            RequestSha256 = r.GetString(13),
            ResponseSha256 = r.GetString(14),
            Counter = r.IsDBNull(16) ? EstimatingTokenCounter.Instance.Description : r.GetString(16),
            Tolerance = r.IsDBNull(17) ? Tolerance.Estimate : new Tolerance(r.GetInt64(17) / 100.0, r.GetInt64(18)),
        };
        var flags = r.GetString(15) is { Length: > 0 } f ? f.Split(',') : [];
        var document2 = ReceiptCheck.ExchangeOnly(evidence, flags, r.GetInt64(4), r.GetInt64(5), key, exchangeId);
        return Encoding.UTF8.GetString(CanonicalJson.Serialize(document2));
    }
}
