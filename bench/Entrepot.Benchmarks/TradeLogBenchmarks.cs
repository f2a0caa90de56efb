using BenchmarkDotNet.Attributes;
using Entrepot.Core.Metering;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Benchmarks;

/// <summary>
/// The trade writer's own cost per trade (its thread's time, off the request path): 10,000 trades
/// queued and committed into a fresh SQLite file, as a usage row alone, with the receipt evidence of
/// an exchange-only receipt, and with the ledger entry too. µs per trade = mean / 10,000.
/// </summary>
[MemoryDiagnoser]
public class TradeLogBenchmarks
{
    private const int Trades = 10_000;
    private string _dir = "";
    private SigningKey _key = null!;
    private SqliteDatabase _db = null!;
    private UsageRecord[] _records = [];

    [Params("usage", "usage+receipt", "usage+receipt+ledger")]
    public string What { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("entrepot-trade-bench-").FullName;
        _key = SigningKey.LoadOrCreate(_dir);
        var now = DateTimeOffset.UtcNow;
        _records = Enumerable.Range(0, Trades).Select(i =>
        {
            var id = "req_" + Guid.CreateVersion7().ToString("N");
            return new UsageRecord
            {
                RequestId = id,
                Timestamp = now.AddTicks(i * 10),
                AccountId = "buyer-" + (i % 50),
                KeyId = "key-" + (i % 50),
                Model = "gpt-4o-mini",
                ProviderId = "upstream",
                OriginJurisdiction = "US",
                DestinationJurisdiction = "US",
                InputTokens = 25,
                OutputTokens = 12,
                Cost = 0.0000123m,
                Currency = "USD",
                Outcome = Outcome.Completed,
                StatusCode = 200,
                Attempts = 1,
                LatencyMs = 0.31,
                OverheadUs = 61,
                Receipt = What == "usage" ? null : new ReceiptEvidence
                {
                    RequestId = id,
                    Buyer = "buyer-" + (i % 50),
                    SellerId = "upstream",
                    Model = "gpt-4o-mini",
                    InputTokens = 25,
                    OutputTokens = 12,
                    CountedInput = 24,
                    CountedOutput = 12,
                    InputPrice = 0.15m,
                    OutputPrice = 0.6m,
                    Started = now,
                    Finished = now.AddTicks(i * 10),
                    RequestSha256 = new string('a', 64),
                    ResponseSha256 = new string('b', 64),
                },
            };
        }).ToArray();
    }

    [IterationSetup]
    public void FreshFile() => _db = new SqliteDatabase(Path.Combine(_dir, "fresh-" + Guid.NewGuid().ToString("N") + ".db"));

    [Benchmark]
    public async Task<long> Write10000()
    {
        await using var log = new SqliteTradeLog(_db, ledger: What.EndsWith("ledger", StringComparison.Ordinal) ? new SqliteLedger(_db, _key) : null, feePercent: 2m);
        foreach (var r in _records)
        {
            await log.RecordAsync(r);
        }

        await log.FlushAsync();
        return log.Written;
    }
}
