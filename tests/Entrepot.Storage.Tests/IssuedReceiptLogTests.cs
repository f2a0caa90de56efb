using Entrepot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Tests;

/// <summary>
/// An exporter node's log of issued receipts across an upgrade: a log written by the first release
/// keeps every receipt in order, loses only its unread request-id index, and goes on numbering. Each
/// exchange reads only the receipts issued for it, and those logged before receipts named their exchange.
/// </summary>
public sealed class IssuedReceiptLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("entrepot-issued-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException)
        {
        }
    }

    private static List<string> Indexes(SqliteDatabase db)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'issued_receipts' ORDER BY name";
        using var r = cmd.ExecuteReader();
        var names = new List<string>();
        while (r.Read())
        {
            names.Add(r.GetString(0));
        }

        return names;
    }

    /// <summary>A receipt as a release before receipts named their exchange wrote it.</summary>
    private static void OldRelease(SqliteDatabase db, string requestId, string document)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO issued_receipts(request_id, attempt, issued_at, document) VALUES ($r, 1, '2026-12-01T10:00:00.0000000Z', $d)";
        cmd.Parameters.AddWithValue("$r", requestId);
        cmd.Parameters.AddWithValue("$d", document);
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task ALogFromTheFirstRelease_KeepsEveryReceiptInOrder_AndDropsTheRequestIndex()
    {
        var path = Path.Combine(_dir, "receipts.db");
        var first = SqliteDatabase.ExporterAsOf(path, 1);
        Assert.Equal(["issued_receipts_request"], Indexes(first));
        var issued = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 1; i <= 3; i++)
        {
            OldRelease(first, $"req_{i:000}", $$"""{"n":{{i}}}""");
        }

        SqliteConnection.ClearAllPools();
        var upgraded = SqliteDatabase.ForExporter(path);
        Assert.Empty(Indexes(upgraded));
        await using var log = new SqliteIssuedReceiptLog(upgraded);
        await log.LogAsync("req_004", 2, issued.AddSeconds(4), """{"n":4}""");

        var all = log.Since(0, 10);
        Assert.Equal([1L, 2, 3, 4], all.Select(r => r.Seq));
        Assert.Equal(["req_001", "req_002", "req_003", "req_004"], all.Select(r => r.RequestId));
        Assert.Equal("""{"n":4}""", all[3].Document);
        Assert.Equal(2, all[3].Attempt);
        Assert.Equal([3L, 4], log.Since(2, 10).Select(r => r.Seq));
    }

    [Fact]
    public async Task EachExchange_ReadsOnlyItsOwnReceipts_AndThoseLoggedBeforeReceiptsNamedOne()
    {
        var path = Path.Combine(_dir, "receipts.db");
        var issued = DateTimeOffset.Parse("2026-12-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        OldRelease(SqliteDatabase.ExporterAsOf(path, 2), "req_before", """{"n":0}""");

        SqliteConnection.ClearAllPools();
        await using var log = new SqliteIssuedReceiptLog(SqliteDatabase.ForExporter(path));
        await Task.WhenAll(
            log.LogAsync("req_a1", 1, issued, """{"n":1}""", "kid:exchange-a"),
            log.LogAsync("req_b1", 1, issued, """{"n":2}""", "kid:exchange-b"),
            log.LogAsync("req_a2", 1, issued, """{"n":3}""", "kid:exchange-a"));

        Assert.Equal(["req_before", "req_a1", "req_a2"], log.Since(0, 10, "kid:exchange-a").Select(r => r.RequestId));
        Assert.Equal(["req_before", "req_b1"], log.Since(0, 10, "kid:exchange-b").Select(r => r.RequestId));
        Assert.Equal(["req_a2"], log.Since(log.Since(0, 10, "kid:exchange-a")[1].Seq, 10, "kid:exchange-a").Select(r => r.RequestId));
        Assert.Equal(["req_before"], log.Since(0, 10, "kid:someone-else").Select(r => r.RequestId));
        Assert.Equal(4, log.Since(0, 10).Count); // no exchange named: the whole log
    }
}
