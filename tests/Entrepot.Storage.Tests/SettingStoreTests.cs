using Entrepot.Core.Budgets;
using Entrepot.Storage.Postgres;
using Entrepot.Storage.Redis;
using Entrepot.Storage.Sqlite;
using Entrepot.Tests;
using StackExchange.Redis;

namespace Entrepot.Storage.Tests;

/// <summary>Budgets, limits and caps as the file and the admin API own them: SQLite for one node,
/// PostgreSQL for a cluster (the same behaviour from both), and a shared Redis budget definition that
/// no older version replaces.</summary>
public sealed class SettingStoreTests
{
    public static TheoryData<string> Stores => new() { "sqlite", "postgres" };

    private static ISettingStore Open(string kind) => kind == "sqlite"
        ? new SqliteSettingStore(new SqliteDatabase(Path.Combine(Directory.CreateTempSubdirectory("entrepot-settings-").FullName, "exchange.db")), TimeProvider.System)
        : new PostgresSettingStore(new PostgresDatabase(TestPostgres.FreshDatabase()));

    [Theory]
    [MemberData(nameof(Stores))]
    public void TheFileOwnsWhatItDefines_TheApiTheRest_AndEveryChangeGetsAHigherVersion(string kind)
    {
        var store = Open(kind);
        Assert.Equal(0, store.Clock());

        var admin = store.Put(SettingKinds.Budget, "account:a", """{"amount":1}""")!;
        var raised = store.Put(SettingKinds.Budget, "account:a", """{"amount":2}""")!;
        Assert.True(raised.Version > admin.Version);
        Assert.False(raised.FromFile);

        store.SyncFile(SettingKinds.Budget, new Dictionary<string, string> { ["account:f"] = """{"amount":5}""" });
        var file = store.Find(SettingKinds.Budget, "account:f")!;
        Assert.True(file.FromFile);
        Assert.True(file.Version > raised.Version);

        // The API cannot change or remove what the file defines.
        Assert.Null(store.Put(SettingKinds.Budget, "account:f", """{"amount":9}"""));
        Assert.False(store.Delete(SettingKinds.Budget, "account:f"));
        Assert.Equal("""{"amount":5}""", store.Find(SettingKinds.Budget, "account:f")!.Value);

        // The same file again changes nothing (versions stay); an edited value gets a new version.
        store.SyncFile(SettingKinds.Budget, new Dictionary<string, string> { ["account:f"] = """{"amount":5}""" });
        Assert.Equal(file.Version, store.Find(SettingKinds.Budget, "account:f")!.Version);
        store.SyncFile(SettingKinds.Budget, new Dictionary<string, string> { ["account:f"] = """{"amount":6}""" });
        Assert.True(store.Find(SettingKinds.Budget, "account:f")!.Version > file.Version);

        // A file that takes over an admin-set scope owns it from then on; one that drops a scope removes it,
        // and leaves what the admin API set alone.
        store.Put(SettingKinds.Budget, "account:b", """{"amount":3}""");
        store.SyncFile(SettingKinds.Budget, new Dictionary<string, string> { ["account:a"] = """{"amount":7}""" });
        Assert.True(store.Find(SettingKinds.Budget, "account:a")!.FromFile);
        Assert.Null(store.Find(SettingKinds.Budget, "account:f"));
        Assert.Equal("""{"amount":3}""", store.Find(SettingKinds.Budget, "account:b")!.Value);
        Assert.Equal(["account:a", "account:b"], store.All(SettingKinds.Budget).Select(s => s.Scope));

        // Kinds are apart: limits of the same scope are the admin API's to set.
        Assert.NotNull(store.Put(SettingKinds.Limits, "account:a", """{"requests_per_minute":5}"""));
        Assert.Single(store.All(SettingKinds.Limits));

        // The clock never goes back, deletions included: a removed definition's version stays below it.
        var clock = store.Clock();
        var highest = store.All(SettingKinds.Budget).Concat(store.All(SettingKinds.Limits)).Max(s => s.Version);
        Assert.Equal(highest, clock);
        Assert.True(store.Delete(SettingKinds.Limits, "account:a"));
        Assert.False(store.Delete(SettingKinds.Limits, "account:a"));
        Assert.Equal(clock, store.Clock());
        Assert.True(store.Put(SettingKinds.Limits, "account:a", "{}")!.Version > clock);
    }

    [Fact]
    public void BudgetsSetThroughTheApiBeforeSettingsExisted_AreCarriedOverAsTheApis()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("entrepot-settings-").FullName, "exchange.db");
        var old = SqliteDatabase.AsOf(path, SqliteDatabase.StepsBefore("CREATE TABLE settings"));
        using (var c = old.Open())
        {
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                INSERT INTO budgets(scope, amount, currency, period, updated_at) VALUES ('account:x', '2.50', 'EUR', 'month', '2026-11-01T00:00:00Z');
                INSERT INTO budgets(scope, amount, currency, period, updated_at) VALUES ('key:k_1', '0.000001', 'USD', 'total', '2026-11-02T00:00:00Z');
                """;
            cmd.ExecuteNonQuery();
        }

        var store = new SqliteSettingStore(new SqliteDatabase(path), TimeProvider.System);
        var all = store.All(SettingKinds.Budget);
        Assert.Equal(["account:x", "key:k_1"], all.Select(s => s.Scope));
        Assert.All(all, s => Assert.False(s.FromFile));
        Assert.Equal("""{"amount":2.50,"currency":"EUR","period":"month"}""", all[0].Value);
        Assert.Equal("""{"amount":0.000001,"currency":"USD","period":"total"}""", all[1].Value);
        Assert.True(store.Put(SettingKinds.Budget, "account:y", "{}")!.Version > all.Max(s => s.Version));
    }

    [Fact]
    public async Task ASharedBudgetDefinition_IsNeverReplacedByAnOlderVersion()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Environment.GetEnvironmentVariable("ENTREPOT_TEST_REDIS")
            ?? throw new InvalidOperationException("ENTREPOT_TEST_REDIS is not set: run the tests with ./test.sh."));
        var prefix = "settings-" + Guid.NewGuid().ToString("N")[..8] + ":";
        using var a = new RedisBudgetBook(redis, TimeProvider.System, prefix, "a");
        using var b = new RedisBudgetBook(redis, TimeProvider.System, prefix, "b");

        b.Set(new Budget("account:x", 2m, "USD", BudgetPeriod.Total, Version: 7)); // the admin raised it through b
        a.Set(new Budget("account:x", 1m, "USD", BudgetPeriod.Total, Version: 3)); // a starts with what it saw earlier
        Assert.Equal(2m, a.Status("account:x")!.Value.Limit); // a takes the newer one, it does not write the older
        b.Reload();
        Assert.Equal(2m, b.Status("account:x")!.Value.Limit);
        Assert.Equal("2000000000|USD|Total|7", (string?)redis.GetDatabase().HashGet(prefix + "budgets", "account:x"));

        // Removing goes only as far as the version the remover knew of.
        a.Remove("account:x", upToVersion: 6);
        Assert.Equal(2m, a.Status("account:x")!.Value.Limit);
        a.Remove("account:x", upToVersion: 7);
        Assert.Null(a.Status("account:x"));
        b.Reload();
        Assert.Null(b.Status("account:x"));

        // A definition from before versions (three fields) reads as version 0: any versioned one replaces it.
        redis.GetDatabase().HashSet(prefix + "budgets", "account:y", "1000000000|USD|Day");
        a.Reload();
        Assert.Equal((1m, 0L), (a.All().Single().Limit, a.All().Single().Version));
        a.Set(new Budget("account:y", 3m, "USD", BudgetPeriod.Day, Version: 1));
        Assert.Equal(3m, a.Status("account:y")!.Value.Limit);
    }
}
