using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Tests;

/// <summary>The SQLite ledger: idempotent appends, balanced double entries, signed checkpoints, and
/// verification that names the first altered, removed or inserted row.</summary>
public class LedgerTests
{
    private static (SqliteDatabase Db, SigningKey Key, string Dir) Fresh()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-ledger-").FullName;
        return (new SqliteDatabase(Path.Combine(dir, "exchange.db")), SigningKey.LoadOrCreate(dir), dir);
    }

    private static List<(string, DateTimeOffset, string, IReadOnlyList<Posting>)> Trades(int from, int count) =>
        Enumerable.Range(from, count).Select(i => ("req_" + i, DateTimeOffset.UnixEpoch.AddSeconds(i), "USD",
            LedgerEntry.ForTrade("buyer-" + (i % 3), "seller-" + (i % 2), 0.000123m * i, 2m))).ToList();

    private static void Exec(SqliteDatabase db, string sql)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void AppendsAreIdempotentOnTheReceipt_BalancedAndVerify()
    {
        var (db, key, _) = Fresh();
        using var ledger = new SqliteLedger(db, key);
        Assert.Equal(2500, ledger.Append(Trades(1, 2500)));
        Assert.Equal(0, ledger.Append(Trades(1, 2500)));   // a retry or replay bills nothing twice
        Assert.Equal(9, ledger.Append(Trades(2495, 15)));   // the overlap is skipped, the rest appended
        ledger.CheckpointNow();
        Assert.Null(SqliteLedger.Verify(db, key.PublicKey, out var entries, out var checkpoints));
        Assert.Equal(2509, entries);
        Assert.Equal(2, checkpoints);                        // at 2,500 (every 1,000 or more) and at 2,509 (on demand)

        // A restarted writer continues the same chain.
        using var again = new SqliteLedger(db, key);
        again.Append(Trades(5000, 3));
        Assert.Null(SqliteLedger.Verify(db, key.PublicKey, out entries, out _));
        Assert.Equal(2512, entries);
    }

    [Theory]
    [InlineData("UPDATE ledger SET postings = replace(postings, 'seller-1=', 'seller-0=') WHERE seq = 701", "entry 701 (receipt req_701): its content does not match its hash")]
    [InlineData("UPDATE ledger SET postings = replace(postings, 'buyer-', 'buyer-x') WHERE seq = 702", "entry 702 (receipt req_702): its content does not match its hash")]
    [InlineData("DELETE FROM ledger WHERE seq = 1500", "entry 1501: expected entry 1500 here")]
    [InlineData("DELETE FROM ledger WHERE seq > 1900", "checkpoint at entry 2000: the ledger has no such entry")]
    [InlineData("UPDATE ledger_checkpoints SET hash = 'ab' || substr(hash, 3) WHERE seq = 2000", "checkpoint at entry 2000: the signature does not verify")]
    public void TamperingIsFound_AndTheFirstBadEntryNamed(string tamper, string expected)
    {
        var (db, key, _) = Fresh();
        using (var ledger = new SqliteLedger(db, key))
        {
            ledger.Append(Trades(1, 2000));
        }

        Assert.Null(SqliteLedger.Verify(db, key.PublicKey, out _, out _));
        Exec(db, tamper);
        var problem = SqliteLedger.Verify(db, key.PublicKey, out _, out _);
        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void InsertedForgedRow_IsFound()
    {
        var (db, key, _) = Fresh();
        using (var ledger = new SqliteLedger(db, key))
        {
            ledger.Append(Trades(1, 50));
        }

        // A forged entry appended with a valid-looking hash chain still lacks a signed checkpoint... and
        // one inserted in the middle breaks the chain at once.
        Exec(db, "UPDATE ledger SET seq = seq + 100 WHERE seq > 25");
        Exec(db, "INSERT INTO ledger(seq, receipt_id, ts, currency, postings, prev_hash, hash) SELECT 26, 'forged', ts, currency, postings, prev_hash, hash FROM ledger WHERE seq = 25");
        var problem = SqliteLedger.Verify(db, key.PublicKey, out _, out _);
        Assert.StartsWith("entry 26", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherKeysCheckpoint_IsRefused()
    {
        var (db, key, _) = Fresh();
        using (var ledger = new SqliteLedger(db, key))
        {
            ledger.Append(Trades(1, 10));
        }

        using var other = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-other-").FullName);
        Assert.Contains("not the exchange's", SqliteLedger.Verify(db, other.PublicKey, out _, out _), StringComparison.Ordinal);
    }
}
