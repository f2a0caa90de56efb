using System.Collections.Concurrent;
using Entrepot.Core.Metering;

namespace Entrepot.Exchange.Settlement;

/// <summary>
/// Each seller's record at settlement: how many of its trades were settled and how many carried a
/// dispute flag (its word and the exchange's observation disagreed), by flag. Kept in the database
/// with the trades (so a restart keeps it) and in memory for the admin API and the dashboard.
/// </summary>
public sealed class SellerDisputes
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, long>> _sellers = new(StringComparer.Ordinal);

    public void Load(IReadOnlyDictionary<string, Dictionary<string, long>> stored)
    {
        foreach (var (seller, flags) in stored)
        {
            var counts = _sellers.GetOrAdd(seller, _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
            foreach (var (flag, n) in flags)
            {
                counts[flag] = n;
            }
        }
    }

    public void Add(SettledTrade t)
    {
        if (t.Post is null || t.ProviderId is not { } seller)
        {
            return;
        }

        var counts = _sellers.GetOrAdd(seller, _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal));
        counts.AddOrUpdate("", 1, (_, n) => n + 1);
        if (t.Flags.Length == 0)
        {
            return;
        }

        if (t.Disputed)
        {
            counts.AddOrUpdate(Storage.Sqlite.SqliteTradeStore.Disputed, 1, (_, n) => n + 1);
        }

        foreach (var flag in t.Flags.Split(','))
        {
            counts.AddOrUpdate(flag, 1, (_, n) => n + 1);
        }
    }

    /// <summary>Receipts from the seller's log that reconciliation refused (invented, altered, superseded).</summary>
    public void Refused(string seller, int n) =>
        _sellers.GetOrAdd(seller, _ => new ConcurrentDictionary<string, long>(StringComparer.Ordinal)).AddOrUpdate(Storage.Sqlite.SqliteTradeStore.Refused, n, (_, c) => c + n);

    /// <summary>Every count as a metric measurement (provider, flag; "" counts all trades, "disputed" those disputed).</summary>
    public IEnumerable<System.Diagnostics.Metrics.Measurement<long>> Measurements()
    {
        foreach (var (seller, counts) in _sellers)
        {
            foreach (var (flag, n) in counts)
            {
                yield return new System.Diagnostics.Metrics.Measurement<long>(n,
                    new KeyValuePair<string, object?>("provider", seller),
                    new KeyValuePair<string, object?>("flag", flag.TrimStart('*')));
            }
        }
    }

    /// <summary>A seller's settled trades, the disputed ones among them, and the count of each flag.</summary>
    public DisputeRecord Of(string seller)
    {
        if (!_sellers.TryGetValue(seller, out var counts))
        {
            return new DisputeRecord(0, 0, 0, new Dictionary<string, long>(), 0);
        }

        var trades = counts.GetValueOrDefault("");
        var disputed = counts.GetValueOrDefault(Storage.Sqlite.SqliteTradeStore.Disputed);
        var flags = counts.Where(kv => kv.Key.Length > 0 && kv.Key[0] != '*')
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        return new DisputeRecord(trades, disputed, trades == 0 ? 0 : Math.Round((double)disputed / trades, 4), flags,
            counts.GetValueOrDefault(Storage.Sqlite.SqliteTradeStore.Refused));
    }
}

/// <summary>A seller's dispute rate: disputed trades over settled trades; and receipts its log offered
/// that reconciliation refused (they were never trades).</summary>
public sealed record DisputeRecord(
    [property: System.Text.Json.Serialization.JsonPropertyName("trades")] long Trades,
    [property: System.Text.Json.Serialization.JsonPropertyName("disputed")] long Disputed,
    [property: System.Text.Json.Serialization.JsonPropertyName("rate")] double Rate,
    [property: System.Text.Json.Serialization.JsonPropertyName("flags")] IReadOnlyDictionary<string, long> Flags,
    [property: System.Text.Json.Serialization.JsonPropertyName("refused_receipts")] long RefusedReceipts);
