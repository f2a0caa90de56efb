using Entrepot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Tests;

/// <summary>
/// The background checkpointer: it, not the committing writers, copies the log back into the
/// database file; the writers keep a fallback; its thread runs at nice 19.
/// </summary>
public sealed class WalCheckpointerTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "entrepot-wal-" + Guid.NewGuid().ToString("N"));

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

    private static long Pragma(SqliteConnection c, string name)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"PRAGMA {name}";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>About <paramref name="megabytes"/> MB of rows in one table, a commit per megabyte.</summary>
    private static void Fill(SqliteConnection c, int megabytes)
    {
        using (var create = c.CreateCommand())
        {
            create.CommandText = "CREATE TABLE IF NOT EXISTS filler (v BLOB NOT NULL)";
            create.ExecuteNonQuery();
        }

        var blob = new byte[1000];
        Random.Shared.NextBytes(blob);
        for (var mb = 0; mb < megabytes; mb++)
        {
            using var tx = c.BeginTransaction();
            using var insert = c.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText = "INSERT INTO filler(v) VALUES ($v)";
            insert.Parameters.AddWithValue("$v", blob);
            for (var i = 0; i < 1000; i++)
            {
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }
    }

    [Fact]
    public void Connections_leave_checkpoints_to_it_up_to_the_fallback_and_take_them_back_after()
    {
        var db = new SqliteDatabase(Path.Combine(_dir, "a.db"));
        using (var before = db.Open())
        {
            Assert.Equal(1000, Pragma(before, "wal_autocheckpoint"));
        }

        var checkpointer = new WalCheckpointer(db, TimeSpan.FromHours(1));
        using (var during = db.Open())
        {
            Assert.Equal(WalCheckpointer.FallbackPages, Pragma(during, "wal_autocheckpoint"));
        }

        checkpointer.Dispose();
        using var after = db.Open();
        Assert.Equal(1000, Pragma(after, "wal_autocheckpoint"));
    }

    [Fact]
    public async Task It_copies_the_log_into_the_database_file_which_the_writers_no_longer_do()
    {
        // Without its thread (only the connections' setting), 8 MB of commits stay in the log: the
        // writer's connection no longer checkpoints at SQLite's 1,000 pages.
        var alone = new SqliteDatabase(Path.Combine(_dir, "alone.db"));
        alone.CheckpointsInBackground = true;
        using (var c = alone.Open())
        {
            Fill(c, 8);
            Assert.True(new FileInfo(alone.FilePath).Length < 1_000_000, $"database file {new FileInfo(alone.FilePath).Length} B");
            Assert.True(new FileInfo(alone.FilePath + "-wal").Length > 8_000_000);
        }

        var db = new SqliteDatabase(Path.Combine(_dir, "b.db"));
        using var checkpointer = new WalCheckpointer(db, TimeSpan.FromMilliseconds(20));
        using var writer = db.Open();
        Fill(writer, 8);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        // Both: the file can reach its size while the checkpoint that copies into it is still running.
        while ((new FileInfo(db.FilePath).Length < 8_000_000 || checkpointer.Checkpoints == 0) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.True(new FileInfo(db.FilePath).Length >= 8_000_000, $"database file {new FileInfo(db.FilePath).Length} B after 30 s");
        Assert.True(checkpointer.Checkpoints > 0, "no checkpoint counted in 30 s");
        using var count = writer.CreateCommand();
        count.CommandText = "SELECT count(*) FROM filler";
        Assert.Equal(8000L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task Its_thread_runs_at_the_lowest_nice_level()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var db = new SqliteDatabase(Path.Combine(_dir, "c.db"));
        using var checkpointer = new WalCheckpointer(db, TimeSpan.FromMilliseconds(20));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (checkpointer.ThreadId == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.NotEqual(0, checkpointer.ThreadId);
        // /proc/<tid>/stat: after the name in parentheses, the 17th field is the nice value.
        var stat = File.ReadAllText($"/proc/self/task/{checkpointer.ThreadId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal("19", fields[16]);
    }
}
