using BenchmarkDotNet.Attributes;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Benchmarks;

/// <summary>
/// The ledger on SQLite: appending 10,000 trades in batches of 1,000 (as the receipt writer does)
/// into a fresh file, and verifying a ledger of 1,000,000 entries (chain, balances, checkpoints).
/// Entries/s = 10,000 / Append mean; verify time is the Verify mean.
/// </summary>
[MemoryDiagnoser]
public class LedgerBenchmarks
{
    private const int Batch = 1000;
    private string _dir = "";
    private SqliteDatabase _big = null!;
    private SigningKey _key = null!;
    private SqliteDatabase _fresh = null!;

    private static List<LedgerPost> Trades(int from, int count) =>
        Enumerable.Range(from, count).Select(i => LedgerPost.ForTrade("req_" + i, "USD", "buyer-" + (i % 50), "seller-" + (i % 8), 0.000123m * (i % 997), 2m)).ToList();

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("entrepot-ledger-bench-").FullName;
        _key = SigningKey.LoadOrCreate(_dir);
        _big = new SqliteDatabase(Path.Combine(_dir, "big.db"));
        using var ledger = new SqliteLedger(_big, _key);
        for (int i = 0; i < 1_000_000; i += 10_000)
        {
            ledger.Append(Trades(i + 1, 10_000));
        }
    }

    [IterationSetup(Target = nameof(Append10000))]
    public void FreshFile() => _fresh = new SqliteDatabase(Path.Combine(_dir, "fresh-" + Guid.NewGuid().ToString("N") + ".db"));

    [Benchmark]
    public long Append10000()
    {
        using var ledger = new SqliteLedger(_fresh, _key);
        for (int i = 0; i < 10_000; i += Batch)
        {
            ledger.Append(Trades(i + 1, Batch));
        }

        return ledger.Count;
    }

    [Benchmark]
    public long VerifyMillion()
    {
        var problem = SqliteLedger.Verify(_big, _key.PublicKey, out var entries, out _);
        return problem is null ? entries : -1;
    }
}
