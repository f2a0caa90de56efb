using System.Diagnostics;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Lets a background writer's batch step aside for the requests it shares two cores with. At light
/// load a writer thread woken by its timer lands on a core where a request's thread is running and
/// can keep that core for its whole batch (1-3 ms at one connection: perf sched showed the request's
/// thread waiting behind it while the other core sat idle, since the kernel moves a waiting thread
/// only on its next balancing tick). Yielding every <see cref="Interval"/> of batch work hands the
/// core back within that time. A writer yields only while its queue is short (below
/// <see cref="YieldBelow"/> records): on cores saturated by requests a writer that always yielded fell
/// behind (peak memory 164 -> 280-312 MB at 50 connections, docs/PERFORMANCE.md). Where nothing else
/// waits for the core a yield returns at once (one system call).
/// </summary>
public static class WriterPace
{
    /// <summary>Batch work between two yields.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMicroseconds(50);

    /// <summary>Queued records from which a writer no longer yields.</summary>
    public const int YieldBelow = 256;

    private static readonly long IntervalTicks = (long)(Interval.TotalSeconds * Stopwatch.Frequency);

    [ThreadStatic]
    private static Func<int>? _backlog;

    [ThreadStatic]
    private static long _last;

    [ThreadStatic]
    private static long _yields;

    /// <summary>Yields made so far by the calling thread.</summary>
    internal static long Yields => _yields;

    /// <summary>Yields a writer's thread when it has worked <see cref="Interval"/> since it last did and
    /// its queue is short; called by writers between records. On other threads it does nothing.</summary>
    public static void Between()
    {
        if (_backlog is null)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (now - _last >= IntervalTicks)
        {
            if (_backlog() < YieldBelow)
            {
                Thread.Yield();
                _yields++;
            }

            _last = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Makes the calling thread a writer whose queue <paramref name="backlog"/> reads.</summary>
    internal static void Attach(Func<int> backlog) => _backlog = backlog;

    /// <summary>A batch starts: its work is counted from now.</summary>
    internal static void Batch() => _last = Stopwatch.GetTimestamp();
}
