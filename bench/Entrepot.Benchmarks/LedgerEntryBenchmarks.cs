using BenchmarkDotNet.Attributes;
using Entrepot.Core.Ledger;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Benchmarks;

/// <summary>The CPU pieces of one ledger entry: postings of a trade, the entry's hash, the postings' text.</summary>
[MemoryDiagnoser]
public class LedgerEntryBenchmarks
{
    private readonly IReadOnlyList<Posting> _postings = LedgerEntry.ForTrade("buyer-17", "upstream", 0.0000123m, 2m);
    private readonly DateTimeOffset _ts = DateTimeOffset.UtcNow;

    [Benchmark]
    public IReadOnlyList<Posting> ForTrade() => LedgerEntry.ForTrade("buyer-17", "upstream", 0.0000123m, 2m);

    [Benchmark]
    public string Hash() => LedgerEntry.ComputeHash(123456, "req_019abcdef0123456789abcdef0123456", _ts, "USD", _postings, LedgerEntry.Genesis);

    [Benchmark]
    public string PostingsText() => Entrepot.Storage.LedgerRows.FormatPostings(_postings);

    [Benchmark]
    public string Time() => LedgerEntry.FormatTime(_ts);
}
