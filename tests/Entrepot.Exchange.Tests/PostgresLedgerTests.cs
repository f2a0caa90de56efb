using System.Net.Http.Headers;
using System.Text;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Postgres;
using Npgsql;
using Entrepot.Tests;

namespace Entrepot.Exchange.Tests;

/// <summary>The exchange with its ledger in PostgreSQL (the real one the test command starts): trades
/// are billed there, and entries lost with a crash between the trade's commit and the ledger's are
/// restored from the usage log at the next start.</summary>
public class PostgresLedgerTests
{
    [Fact]
    public async Task TradesAreBilledInPostgres_MissingEntriesAreCaughtUpAtStart_TheLedgerVerifies()
    {
        var connection = TestPostgres.FreshDatabase();
        await using var upstream = await FaultyUpstream.StartAsync();
        var config = new ExchangeConfig
        {
            Exchange = new ExchangeSection { Port = 0, FeePercent = 2, Ledger = new LedgerSection { Store = "postgres", Connection = connection } },
            Accounts = [new AccountSpec { Id = "buyer", Keys = ["ent-pg-ledger-test-key-00000"] }],
            Providers = [new ProviderSpec { Id = "p", Kind = "openai", BaseUrl = upstream.V1.AbsoluteUri, Jurisdiction = "DE", Models = ["m"], Price = new PriceSpec { Input = 1m, Output = 2m } }],
        };
        var dir = Path.Combine(Path.GetTempPath(), "entrepot-tests", "pg-ledger-" + Guid.NewGuid().ToString("N")[..8]);
        await using (var host = ExchangeHost.Create(config, dir))
        {
            await host.StartAsync();
            using var http = new HttpClient { BaseAddress = host.BaseUrl };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ent-pg-ledger-test-key-00000");
            for (int i = 0; i < 6; i++)
            {
                var r = await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
                Assert.True(r.IsSuccessStatusCode);
            }

            await host.FlushAsync();
        }

        using var db = new PostgresDatabase(connection);
        using var key = Core.Trust.SigningKey.LoadOrCreate(dir);
        Assert.Null(PostgresLedger.Verify(db, key.PublicKey, out var entries, out _));
        Assert.Equal(6, entries);

        // As if the exchange died after committing the last two trades but before the ledger took them.
        await using (var c = db.Open())
        await using (var cut = new NpgsqlCommand("DELETE FROM ledger WHERE seq > 4; DELETE FROM ledger_checkpoints WHERE seq > 4", c))
        {
            await cut.ExecuteNonQueryAsync();
        }

        await using (var again = ExchangeHost.Create(config, dir))
        {
            await again.StartAsync(); // the ledger poster catches up before the exchange serves
            Assert.Null(PostgresLedger.Verify(db, key.PublicKey, out entries, out _));
            Assert.Equal(6, entries);
        }

        // And a start with nothing missing adds nothing.
        await using (var third = ExchangeHost.Create(config, dir))
        {
            await third.StartAsync();
            Assert.Null(PostgresLedger.Verify(db, key.PublicKey, out entries, out _));
            Assert.Equal(6, entries);
        }
    }
}
