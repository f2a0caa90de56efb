using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Storage;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Cli.Commands;

/// <summary>
/// <c>entrepot ledger verify [--data-dir DIR] [--postgres CONNECTION] [--exchange-key KEY] [--checkpoints FILE]</c>:
/// recomputes the exchange's ledger (hash chain, balance of every entry, checkpoint signatures and the
/// checkpoint rule) and names the first bad entry; reports the entries after the last checkpoint;
/// with <c>--checkpoints</c>, proves the ledger still contains every checkpoint the exchange published.
/// Exit 0 when it verifies, 1 when not, 2 when it cannot be read.
/// </summary>
internal static class LedgerCommand
{
    public static Command Create()
    {
        var dataDir = CommonOptions.DataDir();
        var postgres = new Option<string?>("--postgres")
        {
            Description = "Verify the ledger in this PostgreSQL database (an Npgsql connection string) instead of the data dir's SQLite file.",
        };
        var exchangeKey = new Option<string?>("--exchange-key")
        {
            Description = "The exchange's public key as you obtained it yourself (public_key from its /.well-known/entrepot/keys, base64url): " +
                "checkpoints must be signed with exactly this key. Without it, the key found in the data dir is used, which whoever can write that directory could replace.",
        };
        var checkpoints = new Option<FileInfo?>("--checkpoints")
        {
            Description = "Checkpoints the exchange published (the JSON of GET /v1/ledger/checkpoints, or an array of them) that you kept: " +
                "each must verify and the ledger must still hold its entry with its hash.",
        };
        var verify = new Command("verify", "Verify the ledger: chain, balances, signed checkpoints and their rule; exit 1 naming the first bad entry.")
        {
            dataDir, postgres, exchangeKey, checkpoints,
        };
        verify.SetAction(pr =>
        {
            var given = Path.GetFullPath(pr.GetValue(dataDir)!);
            byte[]? pinned = null;
            if (pr.GetValue(exchangeKey) is { } pin)
            {
                pinned = Receipts.FromBase64Url(pin) is { Length: 32 } k && !KeyPin.IsKeyId(pin) ? k
                    : null;
                if (pinned is null)
                {
                    return CommonOptions.Fail("--exchange-key takes the exchange's whole Ed25519 public key (base64url, 43 characters, from /.well-known/entrepot/keys), not a key id.");
                }
            }

            List<LedgerCheckpoint>? published = null;
            if (pr.GetValue(checkpoints) is { } file)
            {
                if (!file.Exists)
                {
                    return CommonOptions.Fail($"{file.FullName} does not exist.");
                }

                published = ReadCheckpoints(File.ReadAllText(file.FullName), out var bad);
                if (published is null)
                {
                    return CommonOptions.Fail($"{file.FullName}: {bad}");
                }
            }

            if (pr.GetValue(postgres) is { } connection)
            {
                var trustedKey = pinned ?? TrustedKey(given);
                try
                {
                    using var db = new Storage.Postgres.PostgresDatabase(connection);
                    return Report(Storage.Postgres.PostgresLedger.Audit(db, trustedKey), trustedKey, pinned is not null, published, (seq, hash) =>
                    {
                        using var c = db.Open();
                        using var cmd = new Npgsql.NpgsqlCommand("SELECT 1 FROM ledger WHERE seq = @s AND hash = @h", c);
                        cmd.Parameters.AddWithValue("s", seq);
                        cmd.Parameters.AddWithValue("h", hash);
                        return cmd.ExecuteScalar() is not null;
                    });
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

            var trusted = pinned ?? TrustedKey(dir);
            var sqlite = new SqliteDatabase(path);
            return Report(SqliteLedger.Audit(sqlite, trusted), trusted, pinned is not null, published, (seq, hash) =>
            {
                using var c = sqlite.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT 1 FROM ledger WHERE seq = $s AND hash = $h";
                cmd.Parameters.AddWithValue("$s", seq);
                cmd.Parameters.AddWithValue("$h", hash);
                return cmd.ExecuteScalar() is not null;
            });
        });
        return new Command("ledger", "Work with the exchange's ledger.") { verify };
    }

    /// <summary>Checkpoints as GET /v1/ledger/checkpoints answers ({"data": [...]}), or an array of them.</summary>
    private static List<LedgerCheckpoint>? ReadCheckpoints(string text, out string? problem)
    {
        problem = null;
        try
        {
            var node = JsonNode.Parse(text);
            var array = node as JsonArray ?? node?["data"] as JsonArray;
            if (array is null)
            {
                problem = "expected the JSON of GET /v1/ledger/checkpoints ({\"data\": [...]}) or an array of checkpoints.";
                return null;
            }

            var list = new List<LedgerCheckpoint>();
            foreach (var c in array)
            {
                if (c is not JsonObject o || o["seq"] is not JsonValue seq || (string?)o["hash"] is not { } hash || (string?)o["ts"] is not { } ts ||
                    (string?)o["key_id"] is not { } kid || (string?)o["public_key"] is not { } pk || (string?)o["signature"] is not { } sig || !seq.TryGetValue<long>(out var s))
                {
                    problem = "every checkpoint needs seq, hash, ts, key_id, public_key and signature.";
                    return null;
                }

                list.Add(new LedgerCheckpoint(s, hash, ts, kid, pk, sig));
            }

            return list;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            problem = "not valid JSON: " + e.Message;
            return null;
        }
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

    private static int Report(LedgerReport report, byte[]? trusted, bool pinnedOutOfBand, List<LedgerCheckpoint>? published, Func<long, string, bool> hasEntry)
    {
        if (report.Problem is not null)
        {
            Console.Error.WriteLine($"INVALID after {report.Entries} good entries: {report.Problem}");
            return 1;
        }

        if (published is not null)
        {
            // Each published checkpoint: signed by the exchange, and its entry still in this ledger with that hash.
            foreach (var c in published.OrderBy(c => c.Seq))
            {
                if (c.Check(trusted, out _) is { } bad)
                {
                    Console.Error.WriteLine($"INVALID: published {bad}");
                    return 1;
                }

                if (!hasEntry(c.Seq, c.Hash))
                {
                    Console.Error.WriteLine($"INVALID: the published checkpoint at entry {c.Seq} is not in this ledger (its history was rewritten or cut short)");
                    return 1;
                }
            }
        }

        Console.WriteLine($"VALID: {report.Entries} entries, chain intact, every entry balanced, {report.Checkpoints} signed checkpoint{(report.Checkpoints == 1 ? "" : "s")} verified" +
            (trusted is null ? " (no exchange key to pin them to: give --exchange-key)" : pinnedOutOfBand ? " with the key you gave" : " with the exchange's key in the data dir") +
            (published is null ? "" : $"; all {published.Count} published checkpoints are in it"));
        if (report.TailEntries > 0)
        {
            Console.WriteLine($"not yet sealed: {report.TailEntries} entr{(report.TailEntries == 1 ? "y" : "ies")} after the last checkpoint (from entry {report.TailFrom}); " +
                "a running exchange seals within 10 s, a stopped one at its next start");
        }

        return 0;
    }
}
