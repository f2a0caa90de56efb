using Entrepot.Core.Metering;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Settlement;
using Entrepot.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>A trade recorder on a fresh SQLite file with its ledger there, as an exchange node has it.</summary>
internal sealed class RecorderFixture : IAsyncDisposable
{
    public RecorderFixture(TokenCounters? counters = null, decimal feePercent = 2m, TimeSpan? stopWithin = null)
    {
        Dir = Directory.CreateTempSubdirectory("entrepot-recorder-").FullName;
        Db = new SqliteDatabase(Path.Combine(Dir, "exchange.db"));
        Key = SigningKey.LoadOrCreate(Dir);
        Ledger = new SqliteLedger(Db, Key);
        Store = new SqliteTradeStore(Db, Ledger);
        DeadLetters = new SqliteDeadLetters(Db, TimeProvider.System);
        Recorder = new TradeRecorder(Store, DeadLetters, new Core.Metering.Settlement(counters ?? TokenCounters.EstimateOnly, Key, "exchange-test", feePercent),
            Ledger, null, new LedgerAvailability(), Disputes, null, TimeProvider.System, NullLogger<TradeRecorder>.Instance, Dir, stopWithin: stopWithin);
    }

    public string Dir { get; }
    public SqliteDatabase Db { get; }
    public SigningKey Key { get; }
    public SqliteLedger Ledger { get; }
    public SqliteTradeStore Store { get; }
    public SqliteDeadLetters DeadLetters { get; }
    public SellerDisputes Disputes { get; } = new();
    public TradeRecorder Recorder { get; }

    public long Count(string sql)
    {
        using var c = Db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return (long)cmd.ExecuteScalar()!;
    }

    public void Exec(string sql)
    {
        using var c = Db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        await Recorder.DisposeAsync();
        Ledger.Dispose();
        Key.Dispose();
    }
}
