using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Storage.Postgres;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using Npgsql;

namespace Entrepot.Storage.Tests;

/// <summary>Distinct-subject counts kept per buyer in SQLite across a restart and in PostgreSQL for a
/// cluster, pruned past the longest period, and carried over from before they were kept per buyer.</summary>
public sealed class SubjectStoreTests
{
    private static readonly SubjectScope Scope = new("buyer", "DE", "us-1", DataCategory.Health);
    private static readonly SubjectScope Other = new("buyer", "DE", "sg-1", DataCategory.Health);
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_subject_named_many_times_in_one_batch_keeps_its_latest_sighting()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("entrepot-subjects-").FullName, "exchange.db");
        var db = new SqliteDatabase(path);
        var counter = new SubjectCounter();
        var store = new SqliteSubjectStore(db, counter);
        var alice = new SubjectId(1);
        var bob = new SubjectId(2);

        // One buyer sends the same subject over and over, out of order; a second subject and a second scope too.
        for (int i = 0; i < 500; i++)
        {
            counter.Record(Scope, T0.AddMinutes(i % 7 == 0 ? -i : i), [alice]);
        }

        counter.Record(Scope, T0.AddDays(-30), [bob]);
        counter.Record(Other, T0, [alice, bob]);
        await store.FlushAsync();
        await store.DisposeAsync();

        var reloaded = new SubjectCounter();
        await using var again = new SqliteSubjectStore(new SqliteDatabase(path), reloaded);
        var latestAlice = T0.AddMinutes(Enumerable.Range(0, 500).Last(i => i % 7 != 0));

        Assert.Equal(2, reloaded.CountWith(Scope, T0.AddDays(-31), []));
        Assert.Equal(1, reloaded.CountWith(Scope, latestAlice, []));
        Assert.Equal(0, reloaded.CountWith(Scope, latestAlice.AddTicks(1), []));
        Assert.Equal(2, reloaded.CountWith(Other, T0, []));

        using var c = new SqliteDatabase(path).Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM subjects";
        Assert.Equal(4L, (long)cmd.ExecuteScalar()!);
    }

    private static long Rows(string path, string where = "1 = 1")
    {
        using var c = new SqliteDatabase(path).Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM subjects WHERE " + where;
        return (long)cmd.ExecuteScalar()!;
    }

    [Fact]
    public async Task Sqlite_keeps_each_buyers_counts_apart_and_prunes_rows_with_memory()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("entrepot-subjects-").FullName, "exchange.db");
        var counter = new SubjectCounter();
        var store = new SqliteSubjectStore(new SqliteDatabase(path), counter);
        var other = Scope with { Holder = "other-buyer" };
        counter.Record(Scope, T0, [.. Enumerable.Range(1, 50).Select(i => new SubjectId((UInt128)i))]);
        counter.Record(Scope, T0.AddMonths(-13), [new SubjectId(1000)]);
        counter.Record(other, T0, [new SubjectId(1)]);
        await store.FlushAsync();
        await store.DisposeAsync();

        var reloaded = new SubjectCounter();
        await using (var again = new SqliteSubjectStore(new SqliteDatabase(path), reloaded))
        {
            Assert.Equal(52, reloaded.Count);
            Assert.Equal(50, reloaded.CountWith(Scope, T0.AddYears(-1), []));
            Assert.Equal(1, reloaded.CountWith(other, T0.AddYears(-1), []));

            // The year-old sighting is forgotten in memory and on disk; the rest stays.
            Assert.Equal(1, reloaded.Prune(Core.Border.Rules.ThresholdPeriods.Horizon(T0)));
            Assert.Equal(51, reloaded.Count);
            Assert.Equal(51, Rows(path));
            Assert.Equal(0, Rows(path, "last_seen < " + T0.AddYears(-1).UtcTicks));
        }
    }

    [Fact]
    public async Task Sqlite_counts_from_before_holders_are_migrated_and_count_for_every_buyer()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("entrepot-subjects-").FullName, "exchange.db");
        // A database as the previous version left it: one subjects table per origin and seller.
        using (var c = SqliteDatabase.AsOf(path, SqliteDatabase.StepsBefore("subjects_by_holder")).Open())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"""
                INSERT INTO subjects(origin, counterparty, category, subject, last_seen)
                    VALUES ('DE', 'us-1', 'health', zeroblob(15) || x'01', {T0.UtcTicks}), ('DE', 'us-1', 'health', zeroblob(15) || x'02', {T0.UtcTicks});
                """;
            cmd.ExecuteNonQuery();
        }

        var counter = new SubjectCounter();
        await using var store = new SqliteSubjectStore(new SqliteDatabase(path), counter);
        Assert.Equal(2, Rows(path, "holder = ''"));
        Assert.Equal(2, counter.CountWith(Scope, T0.AddDays(-1), []));
        Assert.Equal(3, counter.CountWith(Scope with { Holder = "someone-else" }, T0.AddDays(-1), [new SubjectId(2), new SubjectId(3)]));
    }

    [Fact]
    public async Task Postgres_counts_per_buyer_include_counts_from_before_holders_and_prune()
    {
        var connection = TestPostgres.FreshDatabase();
        var db = new PostgresDatabase(connection);
        using var counter = new PostgresSubjectCounter(db);
        var other = Scope with { Holder = "other-buyer" };
        counter.Record(Scope, T0, [.. Enumerable.Range(1, 40).Select(i => new SubjectId((UInt128)i))]);
        counter.Record(Scope, T0.AddMonths(-13), [new SubjectId(1000)]);
        counter.Record(other, T0, [new SubjectId(1), new SubjectId(2)]);
        await counter.FlushAsync();

        Assert.Equal(40, counter.CountWith(Scope, T0.AddYears(-1), []));
        Assert.Equal(41, counter.CountWith(Scope, T0.AddYears(-1), [new SubjectId(1), new SubjectId(41)]));
        Assert.Equal(2, counter.CountWith(other, T0.AddYears(-1), []));

        // Rows kept before counts were per buyer (holder ''): they count for every buyer, each subject once.
        using (var c = new NpgsqlConnection(connection))
        {
            c.Open();
            using var cmd = new NpgsqlCommand("INSERT INTO subjects(holder, origin, counterparty, category, subject, last_seen) VALUES ('', 'DE', 'us-1', 'health', @s, @t), ('', 'DE', 'us-1', 'health', @s2, @t)", c);
            cmd.Parameters.AddWithValue("s", new byte[15].Append((byte)2).ToArray());
            cmd.Parameters.AddWithValue("s2", new byte[15].Append((byte)200).ToArray());
            cmd.Parameters.AddWithValue("t", T0.ToUnixTimeSeconds());
            cmd.ExecuteNonQuery();
        }

        Assert.Equal(41, counter.CountWith(Scope, T0.AddYears(-1), []));
        Assert.Equal(3, counter.CountWith(other, T0.AddYears(-1), []));
        Assert.Equal(4, counter.CountWith(other, T0.AddYears(-1), [new SubjectId(200), new SubjectId(201)]));

        Assert.Equal(1, counter.Prune(Core.Border.Rules.ThresholdPeriods.Horizon(T0)));
        Assert.Equal(0, counter.Prune(Core.Border.Rules.ThresholdPeriods.Horizon(T0)));
        Assert.Equal(41, counter.CountWith(Scope, T0.AddYears(-2), []));
    }
}
