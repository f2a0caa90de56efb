using System.CommandLine;
using Entrepot.Core.Trust;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot ledger verify [--data-dir DIR]</c>: recomputes the exchange's ledger (hash
/// chain, balance of every entry, checkpoint signatures against the exchange's key) and names the
/// first bad entry; exit 0 when it verifies, 1 when not.</summary>
internal static class LedgerCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var verify = new Command("verify", "Verify the ledger: chain, balances and signed checkpoints; exit 1 naming the first bad entry.") { dataDir };
        verify.SetAction(pr =>
        {
            var dir = Path.GetFullPath(pr.GetValue(dataDir)!);
            if (!File.Exists(Path.Combine(dir, "exchange.db")) && File.Exists(Path.Combine(dir, "exchange", "exchange.db")))
            {
                dir = Path.Combine(dir, "exchange"); // the demo's layout
            }

            var path = Path.Combine(dir, "exchange.db");
            if (!File.Exists(path))
            {
                return CommonOptions.Fail($"no exchange database at {path}.");
            }

            byte[]? trusted = null;
            if (File.Exists(Path.Combine(dir, SigningKey.FileName)))
            {
                using var key = SigningKey.LoadOrCreate(dir);
                trusted = key.PublicKey;
            }

            var problem = SqliteLedger.Verify(new SqliteDatabase(path), trusted, out var entries, out var checkpoints);
            if (problem is not null)
            {
                Console.Error.WriteLine($"INVALID after {entries} good entries: {problem}");
                return 1;
            }

            Console.WriteLine($"VALID: {entries} entries, chain intact, every entry balanced, {checkpoints} signed checkpoint{(checkpoints == 1 ? "" : "s")} verified" +
                (trusted is null ? " (no local exchange key to pin them to)" : " with the exchange's key"));
            return 0;
        });
        return new Command("ledger", "Work with the exchange's ledger.") { verify };
    }
}
