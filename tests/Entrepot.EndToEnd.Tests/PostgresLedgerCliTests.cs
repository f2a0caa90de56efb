using System.Diagnostics;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Storage.Postgres;
using Npgsql;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>`entrepot ledger verify --postgres` against a ledger in the real PostgreSQL the test command starts.</summary>
public class PostgresLedgerCliTests
{
    [Fact]
    public async Task LedgerVerify_Postgres_AcceptsTheChain_NamesTheAlteredEntry()
    {
        var connection = TestPostgres.FreshDatabase();
        var dir = SharedModel.TempDir("pg-ledger");
        using (var key = SigningKey.LoadOrCreate(dir))
        using (var db = new PostgresDatabase(connection))
        using (var ledger = new PostgresLedger(db, key))
        {
            ledger.Append(Enumerable.Range(1, 30).Select(i => LedgerPost.ForTrade("req_" + i, "USD", "buyer", "seller", 0.01m * i, 2m)));
        }

        var ok = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir, "--postgres", connection);
        Assert.True(ok.Code == 0, ok.Output);
        Assert.Contains("VALID: 30 entries", ok.Output, StringComparison.Ordinal);

        await using (var c = new NpgsqlConnection(connection))
        {
            await c.OpenAsync();
            await using var tamper = new NpgsqlCommand("UPDATE ledger SET postings = replace(postings, 'seller=', 'sellerx=') WHERE seq = 17", c);
            await tamper.ExecuteNonQueryAsync();
        }

        var bad = await EntrepotCli.RunAsync("ledger", "verify", "--data-dir", dir, "--postgres", connection);
        Assert.Equal(1, bad.Code);
        Assert.Contains("entry 17", bad.Output, StringComparison.Ordinal);
    }

}
