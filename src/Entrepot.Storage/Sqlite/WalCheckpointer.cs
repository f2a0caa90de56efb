using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Copies a database's write-ahead log back into its file from a thread of its own, at the lowest
/// nice level, instead of in the commit that crosses SQLite's 1,000-page mark. That checkpoint is
/// one call of several milliseconds: made by the trade writer, it held the core a request's thread
/// was waiting for, and was 0.6 ms of the one-connection p99 (docs/PERFORMANCE.md). At nice 19 a
/// woken request thread takes the core from it at once.
/// <para>
/// While this runs, the database's connections checkpoint by themselves only past
/// <see cref="FallbackPages"/> pages (64 MB): a checkpointer starved of CPU on a saturated machine
/// never lets the log grow without bound, and the writers then do as they did before. Lowering a
/// thread's own priority needs no capability, and nothing has to raise it again. The checkpoints
/// are PASSIVE: they never wait for, or block, a reader or the writers.
/// </para>
/// </summary>
public sealed class WalCheckpointer : IDisposable
{
    /// <summary>The log's size, in pages, past which a committing connection checkpoints by itself.</summary>
    public const int FallbackPages = 16_000;

    /// <summary>How often the log is copied back, by default: at 10,000 trades a second about 1,300
    /// log pages, the size SQLite's own checkpoint takes at a time.</summary>
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromMilliseconds(200);

    private readonly SqliteDatabase _db;
    private readonly TimeSpan _every;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _stop = new();
    private long _checkpoints;
    private long _lastCheckpointed;
    private int _tid;

    public WalCheckpointer(SqliteDatabase db, TimeSpan? every = null)
    {
        _db = db;
        _every = every ?? DefaultEvery;
        // Before any writer opens its connection: each connection takes its threshold when opened.
        db.CheckpointsInBackground = true;
        _thread = new Thread(Loop) { IsBackground = true, Name = "entrepot wal checkpointer" };
        _thread.Start();
    }

    /// <summary>Checkpoints so far that copied pages into the database file.</summary>
    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>The thread's kernel id once it runs at nice 19 (Linux), else 0.</summary>
    internal int ThreadId => Volatile.Read(ref _tid);

    private void Loop()
    {
        // Where the nice level cannot be set, the checkpoints run at normal priority, still off the writers.
        Volatile.Write(ref _tid, BackgroundPriority.LowestNiceForCurrentThread());

        SqliteConnection? c = null;
        try
        {
            while (!_stop.Wait(_every))
            {
                try
                {
                    c ??= _db.Open();
                    Checkpoint(c);
                }
                catch (SqliteException e)
                {
                    // A locked or failing database: the writers' own fallback still bounds the log.
                    Console.Error.WriteLine($"entrepot: WAL checkpoint failed, tried again in {_every.TotalMilliseconds:0} ms: {e.Message}");
                    c?.Dispose();
                    c = null;
                }
            }
        }
        finally
        {
            c?.Dispose();
        }
    }

    private void Checkpoint(SqliteConnection c)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
        using var r = cmd.ExecuteReader();
        // Its third column counts the log's frames copied so far, since the log last started over.
        if (r.Read() && !r.IsDBNull(2))
        {
            var copied = r.GetInt64(2);
            if (copied > 0 && copied != _lastCheckpointed)
            {
                Interlocked.Increment(ref _checkpoints);
            }

            _lastCheckpointed = copied;
        }
    }

    /// <summary>Stops the thread, waiting at most 2 s for a checkpoint in progress (a starved one is left to the process's exit).</summary>
    public void Dispose()
    {
        _stop.Set();
        _thread.Join(TimeSpan.FromSeconds(2));
        _db.CheckpointsInBackground = false;
    }
}
