using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Storage.Tests;

/// <summary>Distinct-subject counts kept in SQLite across a restart.</summary>
public sealed class SubjectStoreTests
{
    private static readonly SubjectScope Scope = new("DE", "us-1", DataCategory.Health);
    private static readonly SubjectScope Other = new("DE", "sg-1", DataCategory.Health);
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
}
