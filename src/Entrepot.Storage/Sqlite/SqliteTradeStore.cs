using System.Globalization;
using Entrepot.Core.Ledger;
using Entrepot.Core.Metering;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The trade log's SQL: settled trades (usage row, which is also the declaration; the countersigned
/// receipt; the seller's flag counts; and, with the ledger in this file, the ledger entry) written in
/// one transaction per batch, and the reads the exchange needs back. The writes come from one thread,
/// the trade recorder's (Exchange/Settlement), through one prepared statement.
/// </summary>
public sealed class SqliteTradeStore : IDisposable
{
    private static readonly string[] ReceiptParameters = ["$rid", "$acc", "$pid", "$kind", "$ver", "$flags", "$doc", "$ts"];

    private readonly SqliteDatabase _db;
    private readonly SqliteLedger? _ledger;
    private readonly PreparedInsert _insert;

    /// <param name="ledger">The ledger when it lives in this file: its entries are written in the
    /// same transaction as their trades. Null when the ledger is elsewhere (PostgreSQL).</param>
    public SqliteTradeStore(SqliteDatabase db, SqliteLedger? ledger)
    {
        _db = db;
        _ledger = ledger;
        _insert = new PreparedInsert(db, """
            INSERT INTO usage(request_id, ts, account_id, key_id, model, provider_id, origin, destination,
                input_tokens, output_tokens, usage_estimated, cost, currency, outcome, status, attempts, stream,
                latency_ms, overhead_us, declared, data_class, categories, detected, verdict, rules, redactions, rulebook,
                receipt, request_sha256, response_sha256, counted_input, counted_output, price_input, price_output,
                flags, claimed_input, claimed_output, counter, tolerance_percent, tolerance_tokens)
            VALUES ($rid, $ts, $acc, $kid, $model, $pid, $origin, $dest, $in, $out, $est, $cost, $cur, $outcome,
                $status, $attempts, $stream, $lat, $ovh, $decl, $dc, $cat, $det, $v, $r, $red, $rb,
                $rc, $rqh, $rsh, $cin, $cout, $pin, $pout, $flags, $clin, $clout, $counter, $tp, $tt)
            """)
        {
            Failed = () => ledger?.DropPrepared(),
        };
    }

    public SqliteDatabase Database => _db;

    /// <summary>Writes a batch in one transaction: every row, every stored receipt, the flag counts
    /// and (with the ledger here) every ledger post not already billed; the dead letters of
    /// <paramref name="replayed"/> trades are deleted in the same transaction.</summary>
    public void Commit(IReadOnlyList<SettledTrade> batch, IReadOnlyCollection<long>? replayed = null)
    {
        var list = batch as List<SettledTrade> ?? [.. batch];
        _insert.Write(list, Bind, (c, tx) =>
        {
            if (replayed is { Count: > 0 })
            {
                SqliteDeadLetters.Delete(c, tx, replayed);
            }

            InsertDocuments(c, tx, list);
            CountFlags(c, tx, list);
            if (_ledger is null)
            {
                return null;
            }

            var posts = new List<LedgerPost>(list.Count);
            foreach (var t in list)
            {
                if (t.Post is { } p)
                {
                    posts.Add(p);
                }
            }

            var pending = _ledger.Append(c, tx, posts);
            return () => _ledger.Advance(pending);
        });
    }

    /// <summary>Whether the exchange recorded this request at all (any outcome).</summary>
    public bool Knows(string requestId)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT 1 FROM usage WHERE request_id = $r LIMIT 1";
        cmd.Parameters.AddWithValue("$r", requestId);
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>The count of a seller's trades with at least one dispute flag, beside its per-flag counts.</summary>
    public const string Disputed = "*disputed";

    /// <summary>Per seller, how many trades carried each flag; "" counts all its trades, <see cref="Disputed"/> those disputed.</summary>
    public Dictionary<string, Dictionary<string, long>> SellerFlags()
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT provider_id, flag, trades FROM seller_flags";
        using var r = cmd.ExecuteReader();
        var all = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal);
        while (r.Read())
        {
            if (!all.TryGetValue(r.GetString(0), out var flags))
            {
                all[r.GetString(0)] = flags = new Dictionary<string, long>(StringComparer.Ordinal);
            }

            flags[r.GetString(1)] = r.GetInt64(2);
        }

        return all;
    }

    /// <summary>Receipts from a seller's log that reconciliation refused (they bill nothing), counted against it.</summary>
    public void CountRefused(string seller, int n)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            INSERT INTO seller_flags(provider_id, flag, trades) VALUES ($p, $f, $n)
            ON CONFLICT(provider_id, flag) DO UPDATE SET trades = trades + excluded.trades
            """;
        cmd.Parameters.AddWithValue("$p", seller);
        cmd.Parameters.AddWithValue("$f", Refused);
        cmd.Parameters.AddWithValue("$n", n);
        cmd.ExecuteNonQuery();
    }

    /// <summary>The count of a seller's receipts that reconciliation refused.</summary>
    public const string Refused = "*refused";

    /// <summary>The time of this node's newest trade row, if any.</summary>
    public DateTimeOffset? NewestTrade()
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT ts FROM usage ORDER BY seq DESC LIMIT 1";
        return cmd.ExecuteScalar() is string ts ? DateTimeOffset.Parse(ts, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
    }

    /// <summary>
    /// The ledger posts of every billed trade from the first row timed at or after <paramref name="since"/>,
    /// in insertion order (a trade rebuilt from a seller's log carries an older time but was inserted
    /// later): each rebuilt exactly as the recorder made it, from the settled row.
    /// </summary>
    public List<LedgerPost> PostsSince(DateTimeOffset since, decimal feePercent)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT request_id, ts, account_id, provider_id, cost, currency
            FROM usage WHERE receipt IS NOT NULL AND seq >= (SELECT MIN(seq) FROM usage WHERE ts >= $since) ORDER BY seq
            """;
        cmd.Parameters.AddWithValue("$since", since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        using var r = cmd.ExecuteReader();
        var posts = new List<LedgerPost>();
        while (r.Read())
        {
            var cost = decimal.Parse(r.GetString(4), NumberStyles.Number, CultureInfo.InvariantCulture);
            posts.Add(LedgerPost.ForTrade(r.GetString(0), r.GetString(5), r.GetString(2), r.GetString(3), cost, feePercent));
        }

        return posts;
    }

    /// <summary>This node's trades since a time, as the shared history keeps them.</summary>
    public List<ArchivedTrade> TradesSince(DateTimeOffset since)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {ArchivedTradeRows.Columns}
            FROM usage WHERE seq >= (SELECT MIN(seq) FROM usage WHERE ts >= $since) ORDER BY seq
            """;
        cmd.Parameters.AddWithValue("$since", since.UtcDateTime.ToString("O", CultureInfo.InvariantCulture));
        using var r = cmd.ExecuteReader();
        var trades = new List<ArchivedTrade>();
        while (r.Read())
        {
            trades.Add(SqliteTradeHistory.ReadTrade(r));
        }

        return trades;
    }

    /// <summary>The most recent records, newest first, optionally for one account.</summary>
    public IReadOnlyList<UsageRow> Recent(int limit, string? accountId = null)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = """
            SELECT request_id, ts, account_id, model, provider_id, origin, destination, input_tokens, output_tokens,
                   usage_estimated, cost, currency, outcome, status, attempts, stream, latency_ms, overhead_us, flags
            FROM usage WHERE ($acc IS NULL OR account_id = $acc) ORDER BY seq DESC LIMIT $limit
            """;
        cmd.Parameters.AddWithValue("$acc", (object?)accountId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$limit", Math.Clamp(limit, 1, 10_000));
        using var r = cmd.ExecuteReader();
        var rows = new List<UsageRow>();
        while (r.Read())
        {
            rows.Add(new UsageRow(
                r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6),
                r.GetInt64(7), r.GetInt64(8), r.GetInt64(9) == 1, decimal.Parse(r.GetString(10), CultureInfo.InvariantCulture),
                r.GetString(11), r.GetString(12), (int)r.GetInt64(13), (int)r.GetInt64(14), r.GetInt64(15) == 1,
                r.GetDouble(16), r.GetDouble(17), r.GetString(18)));
        }

        return rows;
    }

    private static void Bind(SettledTrade r, RawStatement p)
    {
        Span<char> buffer = stackalloc char[64];
        p.Text(0, r.RequestId);
        p.Text(1, r.Timestamp.TryFormat(buffer, out int n, "O", CultureInfo.InvariantCulture) ? buffer[..n] : r.Timestamp.ToString("O", CultureInfo.InvariantCulture));
        p.Text(2, r.AccountId);
        p.Text(3, r.KeyId);
        p.Text(4, r.Model);
        p.Text(5, r.ProviderId);
        p.Text(6, r.Origin);
        p.Text(7, r.Destination);
        p.Int(8, r.InputTokens);
        p.Int(9, r.OutputTokens);
        p.Int(10, r.UsageEstimated ? 1 : 0);
        Decimal(p, 11, r.Cost, buffer);
        p.Text(12, r.Currency);
        p.Text(13, r.Outcome);
        p.Int(14, r.StatusCode);
        p.Int(15, r.Attempts);
        p.Int(16, r.Stream ? 1 : 0);
        p.Real(17, r.LatencyMs);
        p.Real(18, r.OverheadUs);
        var b = r.Border;
        p.Int(19, b is null ? 0 : 1);
        p.Text(20, b?.DataClass ?? "public");
        p.Text(21, b?.Categories ?? "");
        p.Text(22, b?.Detected ?? "");
        p.Text(23, b?.Verdict ?? "allow");
        p.Text(24, b?.Rules ?? "");
        p.Int(25, b?.Redactions ?? 0);
        p.Text(26, b?.RuleBook ?? "");
        p.Text(34, r.Flags);
        if (r.Receipt is null)
        {
            for (int i = 27; i <= 33; i++)
            {
                p.Null(i);
            }

            for (int i = 35; i <= 39; i++)
            {
                p.Null(i);
            }

            return;
        }

        p.Text(27, r.Receipt);
        p.Text(28, r.RequestSha256);
        p.Text(29, r.ResponseSha256);
        p.Int(30, r.CountedInput);
        p.Int(31, r.CountedOutput);
        Decimal(p, 32, r.PriceInput, buffer);
        Decimal(p, 33, r.PriceOutput, buffer);
        if (r.ClaimedInput is { } ci)
        {
            p.Int(35, ci);
        }
        else
        {
            p.Null(35);
        }

        if (r.ClaimedOutput is { } co)
        {
            p.Int(36, co);
        }
        else
        {
            p.Null(36);
        }

        p.Text(37, r.Counter);
        p.Int(38, r.TolerancePercent);
        p.Int(39, r.ToleranceTokens);
    }

    private static void Decimal(RawStatement p, int i, decimal d, Span<char> buffer)
    {
        if (d.TryFormat(buffer, out int n, default, CultureInfo.InvariantCulture))
        {
            p.Text(i, buffer[..n]);
        }
        else
        {
            p.Text(i, d.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void InsertDocuments(SqliteConnection c, SqliteTransaction tx, List<SettledTrade> batch)
    {
        SqliteCommand? cmd = null;
        SqliteParameter[]? p = null;
        try
        {
            foreach (var r in batch)
            {
                if (r.ReceiptDocument is not { } document)
                {
                    continue;
                }

                if (cmd is null)
                {
                    cmd = c.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = """
                        INSERT INTO receipts(request_id, account_id, provider_id, kind, verified, flags, document, created_at)
                        VALUES ($rid, $acc, $pid, $kind, $ver, $flags, $doc, $ts)
                        ON CONFLICT(request_id) DO NOTHING
                        """;
                    p = ReceiptParameters.Select(n => cmd.Parameters.Add(n, SqliteType.Text)).ToArray();
                }

                p![0].Value = r.RequestId;
                p[1].Value = r.AccountId;
                p[2].Value = r.ProviderId ?? "";
                p[3].Value = r.ReceiptKind ?? "";
                p[4].Value = r.SellerVerified ? 1 : 0;
                p[5].Value = r.Flags;
                p[6].Value = document;
                p[7].Value = r.Timestamp.ToString("O", CultureInfo.InvariantCulture);
                cmd!.ExecuteNonQuery();
            }
        }
        finally
        {
            cmd?.Dispose();
        }
    }

    /// <summary>Adds the batch's trades and flags to each seller's counts (its dispute rate).</summary>
    private static void CountFlags(SqliteConnection c, SqliteTransaction tx, List<SettledTrade> batch)
    {
        Dictionary<(string, string), long>? counts = null;
        foreach (var r in batch)
        {
            if (r.Post is null || r.ProviderId is not { } seller)
            {
                continue;
            }

            counts ??= [];
            counts[(seller, "")] = counts.GetValueOrDefault((seller, "")) + 1;
            if (r.Flags.Length == 0)
            {
                continue;
            }

            if (r.Disputed)
            {
                counts[(seller, Disputed)] = counts.GetValueOrDefault((seller, Disputed)) + 1;
            }

            foreach (var flag in r.Flags.Split(','))
            {
                counts[(seller, flag)] = counts.GetValueOrDefault((seller, flag)) + 1;
            }
        }

        if (counts is null)
        {
            return;
        }

        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO seller_flags(provider_id, flag, trades) VALUES ($p, $f, $n)
            ON CONFLICT(provider_id, flag) DO UPDATE SET trades = trades + excluded.trades
            """;
        var pp = cmd.Parameters.Add("$p", SqliteType.Text);
        var pf = cmd.Parameters.Add("$f", SqliteType.Text);
        var pn = cmd.Parameters.Add("$n", SqliteType.Integer);
        foreach (var ((seller, flag), n) in counts)
        {
            pp.Value = seller;
            pf.Value = flag;
            pn.Value = n;
            cmd.ExecuteNonQuery();
        }
    }

    public void Dispose()
    {
        _insert.Dispose();
        _ledger?.DropPrepared();
    }
}
