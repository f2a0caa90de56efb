using BenchmarkDotNet.Attributes;
using Entrepot.Core.Metering;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Benchmarks;

/// <summary>
/// The trade recorder's own cost per trade (its thread's time, off the request path): 10,000 trades
/// settled and committed into a fresh SQLite file, as a usage row alone, with the receipt evidence of
/// an exchange-only receipt (the estimate's count), and with the ledger entry too. µs per trade = mean / 10,000.
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
                    ClaimedInput = 25,
                    ClaimedOutput = 12,
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
        Storage.ILedgerStore ledger = What.EndsWith("ledger", StringComparison.Ordinal) ? new SqliteLedger(_db, _key) : new NoLedger();
        await using var log = new Exchange.Settlement.TradeRecorder(new SqliteTradeStore(_db, ledger as SqliteLedger), new SqliteDeadLetters(_db, TimeProvider.System),
            new Settlement(TokenCounters.EstimateOnly, _key, "exchange-bench", 2m), ledger, null, new Exchange.Settlement.LedgerAvailability(),
            new Exchange.Settlement.SellerDisputes(), null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Exchange.Settlement.TradeRecorder>.Instance, _dir);
        foreach (var r in _records)
        {
            await log.RecordAsync(r);
        }

        await log.FlushAsync();
        return log.Written;
    }
}

/// <summary>No ledger at all: the benchmark's rows without entries.</summary>
internal sealed class NoLedger : Storage.ILedgerStore
{
    public long Count => 0;
    public int Append(IEnumerable<Core.Ledger.LedgerPost> posts) => 0;
    public DateTimeOffset? LastEntryTime() => null;
    public bool Contains(string receiptId) => false;
    public void CheckpointNow() { }
    public void SealIfDue(DateTimeOffset now) { }
    public IReadOnlyList<Core.Ledger.LedgerCheckpoint> Checkpoints(long afterSeq, int limit) => [];
    public Storage.LedgerReport Audit(byte[]? trustedPublicKey) => new(null, 0, 0, 0, null);
    public bool HasEntry(long seq, string hash) => false;
    public void Dispose() { }
}
