using System.CommandLine;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot ledger verify [--data-dir DIR] [--postgres CONNECTION]</c>: recomputes the
/// exchange's ledger (hash chain, balance of every entry, checkpoint signatures against the exchange's
/// key) and names the first bad entry; exit 0 when it verifies, 1 when not.</summary>
internal static class LedgerCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Verify the ledger in this PostgreSQL database (an Npgsql connection string) instead of the data dir's SQLite file; the data dir's key, if any, pins the checkpoints.",
        };
        var verify = new Command("verify", "Verify the ledger: chain, balances and signed checkpoints; exit 1 naming the first bad entry.") { dataDir, postgres };
        verify.SetAction(pr =>
        {
            var given = Path.GetFullPath(pr.GetValue(dataDir)!);
            if (pr.GetValue(postgres) is { } connection)
            {
                var trustedKey = TrustedKey(given);
                try
                {
                    using var db = new Storage.Postgres.PostgresDatabase(connection);
                    return Report(Storage.Postgres.PostgresLedger.Verify(db, trustedKey, out var n, out var k), n, k, trustedKey);
                }
                catch (Exception e) when (e is Npgsql.NpgsqlException or ArgumentException)
                {
                    return CommonOptions.Fail($"cannot read the PostgreSQL ledger: {e.Message}");
                }
            }

            if (CommonOptions.ExchangeDatabase(given, out var dir) is not { } path)
            {
                return CommonOptions.Fail($"no exchange database at {Path.Combine(given, "exchange.db")}.");
            }

            var trusted = TrustedKey(dir);
            return Report(SqliteLedger.Verify(new SqliteDatabase(path), trusted, out var entries, out var checkpoints), entries, checkpoints, trusted);
        });
        return new Command("ledger", "Work with the exchange's ledger.") { verify };
    }

    /// <summary>The exchange's public key when its data dir holds it, to pin the checkpoints to.</summary>
    private static byte[]? TrustedKey(string dir)
    {
        if (!File.Exists(Path.Combine(dir, SigningKey.FileName)))
        {
            return null;
        }

        using var key = SigningKey.LoadOrCreate(dir);
        return key.PublicKey;
    }

    private static int Report(string? problem, long entries, int checkpoints, byte[]? trusted)
    {
        if (problem is not null)
        {
            Console.Error.WriteLine($"INVALID after {entries} good entries: {problem}");
            return 1;
        }

        Console.WriteLine($"VALID: {entries} entries, chain intact, every entry balanced, {checkpoints} signed checkpoint{(checkpoints == 1 ? "" : "s")} verified" +
            (trusted is null ? " (no local exchange key to pin them to)" : " with the exchange's key"));
        return 0;
    }
}
