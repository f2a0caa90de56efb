using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Storage.Postgres;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;

namespace Entrepot.Storage.Tests;

/// <summary>The ledger on SQLite.</summary>
public sealed class SqliteLedgerTests : LedgerTests
{
    protected override IStore Fresh() => new SqliteStore();

    private sealed class SqliteStore : IStore
    {
        private readonly SqliteDatabase _db;

        public SqliteStore()
        {
            var dir = Directory.CreateTempSubdirectory("entrepot-ledger-").FullName;
            _db = new SqliteDatabase(Path.Combine(dir, "exchange.db"));
            Key = SigningKey.LoadOrCreate(dir);
        }

        public SigningKey Key { get; }

        public ILedgerStore Ledger(TimeProvider? time = null) => new SqliteLedger(_db, Key, time);

        public string? Verify(byte[]? trusted, out long entries, out int checkpoints) => SqliteLedger.Verify(_db, trusted, out entries, out checkpoints);

        public void Exec(string sql)
        {
            using var c = _db.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>The same ledger tests on a real PostgreSQL (the one test.sh starts), each in a fresh database.</summary>
public sealed class PostgresLedgerTests : LedgerTests
{
    protected override IStore Fresh() => new PostgresStore();

    [Fact]
    public void TwoWritersInterleaving_ExtendOneChain()
    {
        using var store = new PostgresStore();
        using var a = store.Ledger();
        using var b = store.Ledger();
        Parallel.For(0, 40, i => (i % 2 == 0 ? a : b).Append(Trades((i * 50) + 1, 60)));
        Assert.Null(store.Verify(store.Key.PublicKey, out var entries, out _));
        Assert.Equal(40 * 50 + 10, entries); // overlapping batches bill each receipt once
    }

    private sealed class PostgresStore : IStore
    {
        private readonly PostgresDatabase _db;

        public PostgresStore()
        {
            _db = new PostgresDatabase(TestPostgres.FreshDatabase());
            Key = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-pgledger-").FullName);
        }

        public SigningKey Key { get; }

        public ILedgerStore Ledger(TimeProvider? time = null) => new PostgresLedger(_db, Key, time: time);

        public string? Verify(byte[]? trusted, out long entries, out int checkpoints) => PostgresLedger.Verify(_db, trusted, out entries, out checkpoints);

        public void Exec(string sql)
        {
            using var c = _db.Open();
            using var cmd = new Npgsql.NpgsqlCommand(sql, c);
            cmd.ExecuteNonQuery();
        }

        public void Dispose() => _db.Dispose();
    }
}

/// <summary>The ledger, whichever store holds it: idempotent appends, balanced double entries, signed
/// checkpoints, and verification that names the first altered, removed or inserted row.</summary>
public abstract class LedgerTests
{
    protected interface IStore : IDisposable
    {
        SigningKey Key { get; }

        ILedgerStore Ledger(TimeProvider? time = null);

        string? Verify(byte[]? trusted, out long entries, out int checkpoints);

        void Exec(string sql);
    }

    protected abstract IStore Fresh();

    protected static List<LedgerPost> Trades(int from, int count) =>
        Enumerable.Range(from, count).Select(i => LedgerPost.ForTrade("req_" + i, "USD", "buyer-" + (i % 3), "seller-" + (i % 2), 0.000123m * i, 2m)).ToList();

    [Fact]
    public void AppendsAreIdempotentOnTheReceipt_BalancedAndVerify()
    {
        using var store = Fresh();
        var key = store.Key;
        using var ledger = store.Ledger();
        Assert.Equal(2500, ledger.Append(Trades(1, 2500)));
        Assert.Equal(0, ledger.Append(Trades(1, 2500)));   // a retry or replay bills nothing twice
        Assert.Equal(9, ledger.Append(Trades(2495, 15)));   // the overlap is skipped, the rest appended
        ledger.CheckpointNow();
        Assert.Null(store.Verify(key.PublicKey, out var entries, out var checkpoints));
        Assert.Equal(2509, entries);
        Assert.Equal(3, checkpoints);                        // at entries 1,000 and 2,000 (every 1,000th) and 2,509 (on demand)

        // A restarted writer continues the same chain.
        using var again = store.Ledger();
        again.Append(Trades(5000, 3));
        Assert.Null(store.Verify(key.PublicKey, out entries, out _));
        Assert.Equal(2512, entries);
    }

    [Fact]
    public void ACheckpointSealsEvery1000thEntry_And10SecondsAfterAnUnsealedOne_AnIdleLedgerNone()
    {
        using var store = Fresh();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var ledger = store.Ledger(clock);
        ledger.Append(Trades(1, 2500));
        Assert.Equal([1000L, 2000L], ledger.Checkpoints(0, 100).Select(c => c.Seq));

        // 500 unsealed: not yet after 9 s, sealed at 10 s; then nothing more to seal however long it idles.
        clock.Advance(TimeSpan.FromSeconds(9));
        ledger.SealIfDue(clock.GetUtcNow());
        Assert.Equal(2, ledger.Checkpoints(0, 100).Count);
        clock.Advance(TimeSpan.FromSeconds(1));
        ledger.SealIfDue(clock.GetUtcNow());
        Assert.Equal([1000L, 2000L, 2500L], ledger.Checkpoints(0, 100).Select(c => c.Seq));
        clock.Advance(TimeSpan.FromHours(1));
        ledger.SealIfDue(clock.GetUtcNow());
        Assert.Equal(3, ledger.Checkpoints(0, 100).Count);
        Assert.Equal([2500L], ledger.Checkpoints(2000, 100).Select(c => c.Seq));
        Assert.Null(store.Verify(store.Key.PublicKey, out _, out var checkpoints));
        Assert.Equal(3, checkpoints);
    }

    [Theory]
    [InlineData("DELETE FROM ledger_checkpoints WHERE seq = 1000", "entries 1-2000: 2000 entries between checkpoints")]
    [InlineData("DELETE FROM ledger_checkpoints WHERE seq = 2000", "entries 1001-2500: 1500 entries between checkpoints")]
    [InlineData("DELETE FROM ledger_checkpoints", "entries 1-2500: 2500 entries after the last checkpoint")]
    public void ACheckpointTheRuleRequires_CannotBeRemoved(string tamper, string expected)
    {
        using var store = Fresh();
        using (var ledger = store.Ledger())
        {
            ledger.Append(Trades(1, 2500));
        }

        Assert.Null(store.Verify(store.Key.PublicKey, out _, out _));
        store.Exec(tamper);
        Assert.StartsWith(expected, store.Verify(store.Key.PublicKey, out _, out _), StringComparison.Ordinal);
    }

    [Fact]
    public void ACheckpointRemovedWithinTheCount_IsFoundByTheTimeRule_AndAnOldUnsealedTailToo()
    {
        using var store = Fresh();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using (var ledger = store.Ledger(clock))
        {
            ledger.Append(Trades(1, 10));
            clock.Advance(TimeSpan.FromSeconds(10));
            ledger.SealIfDue(clock.GetUtcNow());   // checkpoint at 10, 10 s after entry 1
            clock.Advance(TimeSpan.FromSeconds(100));
            ledger.Append(Trades(11, 10));
            clock.Advance(TimeSpan.FromSeconds(10));
            ledger.SealIfDue(clock.GetUtcNow());   // checkpoint at 20
        }

        Assert.Null(store.Verify(store.Key.PublicKey, out _, out var checkpoints));
        Assert.Equal(2, checkpoints);
        store.Exec("DELETE FROM ledger_checkpoints WHERE seq = 10");
        Assert.StartsWith("checkpoint at entry 20 was made 120 s after an entry it covers", store.Verify(store.Key.PublicKey, out _, out _), StringComparison.Ordinal);
        store.Exec("DELETE FROM ledger_checkpoints");
        Assert.StartsWith("entries 1-20 span 110 s with no checkpoint", store.Verify(store.Key.PublicKey, out _, out _), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("UPDATE ledger SET postings = replace(postings, 'seller-1=', 'seller-0=') WHERE seq = 701", "entry 701 (receipt req_701): its content does not match its hash")]
    [InlineData("UPDATE ledger SET postings = replace(postings, 'buyer-', 'buyer-x') WHERE seq = 702", "entry 702 (receipt req_702): its content does not match its hash")]
    [InlineData("DELETE FROM ledger WHERE seq = 1500", "entry 1501: expected entry 1500 here")]
    [InlineData("DELETE FROM ledger WHERE seq > 1900", "checkpoint at entry 2000: the ledger has no such entry")]
    [InlineData("UPDATE ledger_checkpoints SET hash = 'ab' || substr(hash, 3) WHERE seq = 2000", "checkpoint at entry 2000: the signature does not verify")]
    public void TamperingIsFound_AndTheFirstBadEntryNamed(string tamper, string expected)
    {
        using var store = Fresh();
        var key = store.Key;
        using (var ledger = store.Ledger())
        {
            ledger.Append(Trades(1, 2000));
        }

        Assert.Null(store.Verify(key.PublicKey, out _, out _));
        store.Exec(tamper);
        var problem = store.Verify(key.PublicKey, out _, out _);
        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void InsertedForgedRow_IsFound()
    {
        using var store = Fresh();
        var key = store.Key;
        using (var ledger = store.Ledger())
        {
            ledger.Append(Trades(1, 50));
        }

        // A forged entry appended with a valid-looking hash chain still lacks a signed checkpoint... and
        // one inserted in the middle breaks the chain at once.
        store.Exec("UPDATE ledger SET seq = -seq WHERE seq > 25");
        store.Exec("UPDATE ledger SET seq = 100 - seq WHERE seq < 0");
        store.Exec("INSERT INTO ledger(seq, receipt_id, ts, currency, postings, prev_hash, hash) SELECT 26, 'forged', ts, currency, postings, prev_hash, hash FROM ledger WHERE seq = 25");
        var problem = store.Verify(key.PublicKey, out _, out _);
        Assert.StartsWith("entry 26", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherKeysCheckpoint_IsRefused()
    {
        using var store = Fresh();
        var key = store.Key;
        using (var ledger = store.Ledger())
        {
            ledger.Append(Trades(1, 10));
        }

        using var other = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-other-").FullName);
        Assert.Contains("not the exchange's", store.Verify(other.PublicKey, out _, out _), StringComparison.Ordinal);
    }
}
