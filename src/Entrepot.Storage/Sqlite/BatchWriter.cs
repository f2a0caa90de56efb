using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// A bounded queue drained by one dedicated background thread that hands batches to a writer
/// delegate, which commits each in one transaction. Producers only enqueue: they never wait for the
/// database, take no lock and wake nothing (the thread polls every <c>linger</c>, 5 ms by default),
/// so a request costs one lock-free queue write. Measured here: waking a thread-pool reader per
/// record or per batch cost more CPU per request than the write itself (see docs/PERFORMANCE.md).
/// When the queue is full producers wait for space (back-pressure). A batch that fails to commit is
/// tried <see cref="BatchTries"/> times (about half a second apart: a locked file, a full disk that
/// an operator clears); then each of its records is written alone once, and a record that still
/// fails is handed to the dead-letter handler (kept aside, listed and replayable), so one record
/// that cannot be written never blocks the records behind it. A record is thus tried four times. A
/// record the dead-letter handler cannot take either (the database itself is failing) stays queued.
/// Stopping waits at most its bound for the queue to drain; what is left then is handed to the
/// abandon handler, so a stop never hangs on a store that does not answer.
/// <para>
/// When asked to, and where the system allows it (<see cref="BackgroundPriority"/>), the thread runs in the idle class,
/// so its commits take only CPU time no request wants (that matters at low load, where a commit burst
/// would otherwise delay the next request). It takes the normal policy back when the exchange is
/// busy: the producer whose record makes the backlog reach <see cref="RaiseAt"/> (the exchange's
/// requests leave it no idle time), and a watchdog when queued records have waited
/// <see cref="DefaultMaxIdleWait"/> (a machine kept busy by something else). It lowers itself again once it
/// has caught up and nothing has had to raise it for five seconds.
/// </para>
/// </summary>
public sealed class BatchWriter<T> : IAsyncDisposable
{
    /// <summary>Backlog at which an idle-class writer is raised to the normal policy.</summary>
    public const int RaiseAt = 1024;

    /// <summary>How long queued records may wait on an idle-class writer before it is raised, by default.</summary>
    public static readonly TimeSpan DefaultMaxIdleWait = TimeSpan.FromMilliseconds(250);

    /// <summary>Tries of a whole batch before its records are written one by one.</summary>
    public const int BatchTries = 3;

    /// <summary>How long a stop waits for the queue to drain, by default.</summary>
    public static readonly TimeSpan DefaultStopWithin = TimeSpan.FromSeconds(5);

    private const int BusyBatch = 64;
    private readonly ConcurrentQueue<T> _queue = new();
    private readonly Action<List<T>> _write;
    private readonly TimeSpan _linger;
    private readonly int _maxBatch;
    private readonly int _capacity;
    private readonly TimeSpan _maxIdleWait;
    private readonly bool _idleClass;
    private readonly Thread _thread;
    private readonly Timer? _watchdog;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _space = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;
    private int _count;
    private int _busy;
    private long _written;
    private int _tid;
    private int _lowered;
    private long _lastTake = Environment.TickCount64;
    private long _lastRaised = long.MinValue / 2;
    private const long QuietBeforeIdle = 5_000; // ms
    private readonly Func<T, Exception, bool>? _deadLetter;
    private readonly Action<IReadOnlyList<T>>? _abandon;
    private readonly Action? _idle;
    private volatile bool _abandoning;
    private int _failures;
    private long _deadLettered;
    private long _lastIdle;

    /// <param name="idleClass">Run the thread in the idle class where the system allows it (null: as
    /// <c>ENTREPOT_WRITER_PRIORITY</c> says; off by default, see <see cref="BackgroundPriority"/>).</param>
    /// <param name="deadLetter">Keeps a record that could not be written aside; false when it could not
    /// (then the record stays queued). Null: failed batches are retried until they succeed.</param>
    /// <param name="abandon">Takes what is still queued when a stop's bound has passed.</param>
    /// <param name="idle">Called on the writer's thread about four times a second when it has nothing to write.</param>
    public BatchWriter(Action<List<T>> write, string name, int capacity = 65_536, int maxBatch = 1024, TimeSpan? linger = null, TimeSpan? maxIdleWait = null,
        bool? idleClass = null, Func<T, Exception, bool>? deadLetter = null, Action<IReadOnlyList<T>>? abandon = null, Action? idle = null)
    {
        _deadLetter = deadLetter;
        _abandon = abandon;
        _idle = idle;
        _idleClass = (idleClass ?? BackgroundPriority.Requested) && BackgroundPriority.Available;
        _maxIdleWait = maxIdleWait ?? DefaultMaxIdleWait;
        _write = write;
        _maxBatch = maxBatch;
        _capacity = capacity;
        _linger = linger ?? TimeSpan.FromMilliseconds(5);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
        if (_idleClass)
        {
            _watchdog = new Timer(_ => RaiseIfStale(), null, _maxIdleWait, _maxIdleWait);
        }
    }

    /// <summary>Items committed so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Items handed to the dead-letter handler so far.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Items queued and not yet taken by the writer thread.</summary>
    public int Backlog => Volatile.Read(ref _count);

    /// <summary>The writer thread's kernel id where its priority is managed, else 0.</summary>
    internal int ThreadId => Volatile.Read(ref _tid);

    public ValueTask EnqueueAsync(T item)
    {
        if (_stopping)
        {
            return ValueTask.FromException(new ChannelClosedException());
        }

        if (Volatile.Read(ref _count) >= _capacity)
        {
            return WaitThenAddAsync(item);
        }

        Add(item);
        return ValueTask.CompletedTask;
    }

    /// <summary>For synchronous callers: queues, or blocks while the queue is full.</summary>
    public void Enqueue(T item) => EnqueueAsync(item).AsTask().GetAwaiter().GetResult();

    /// <summary>Waits until everything queued so far is committed.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (Volatile.Read(ref _count) > 0 || Volatile.Read(ref _busy) == 1)
        {
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
    }

    private void Add(T item)
    {
        _queue.Enqueue(item);
        if (Interlocked.Increment(ref _count) >= RaiseAt && Volatile.Read(ref _lowered) == 1)
        {
            RaiseWriter();
        }
    }

    private async ValueTask WaitThenAddAsync(T item)
    {
        while (true)
        {
            // Read the signal before the count: space made after the check completes this one.
            var space = Volatile.Read(ref _space);
            if (Volatile.Read(ref _count) < _capacity)
            {
                break;
            }

            if (_stopping)
            {
                throw new ChannelClosedException();
            }

            RaiseWriter();
            await space.Task.ConfigureAwait(false);
        }

        Add(item);
    }

    private void RaiseWriter()
    {
        // Only the producer that wins the flag makes the system call.
        if (Interlocked.CompareExchange(ref _lowered, 0, 1) == 1)
        {
            Volatile.Write(ref _lastRaised, Environment.TickCount64);
            BackgroundPriority.Raise(_tid);
        }
    }

    private void RaiseIfStale()
    {
        if (Volatile.Read(ref _lowered) == 1 && Volatile.Read(ref _count) > 0
            && Environment.TickCount64 - Volatile.Read(ref _lastTake) >= (long)_maxIdleWait.TotalMilliseconds)
        {
            RaiseWriter();
        }
    }

    private void LowerSelf()
    {
        if (_tid != 0 && Volatile.Read(ref _lowered) == 0 && BackgroundPriority.Lower(_tid))
        {
            Volatile.Write(ref _lowered, 1);
        }
    }

    private void Loop()
    {
        Volatile.Write(ref _tid, _idleClass ? BackgroundPriority.CurrentThreadId() : 0);
        LowerSelf();
        WriterPace.Attach(() => Volatile.Read(ref _count));
        var batch = new List<T>(_maxBatch);
        while (true)
        {
            if (_abandoning)
            {
                Abandon(batch);
                break;
            }

            Volatile.Write(ref _busy, 1);
            var took = false;
            while (batch.Count < _maxBatch && _queue.TryDequeue(out var item))
            {
                batch.Add(item);
                Interlocked.Decrement(ref _count);
                took = true;
            }

            if (took)
            {
                Volatile.Write(ref _lastTake, Environment.TickCount64);
                Interlocked.Exchange(ref _space, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }

            var written = 0;
            if (batch.Count > 0 && TryWrite(batch))
            {
                written = batch.Count;
                Interlocked.Add(ref _written, batch.Count);
                batch.Clear();
            }

            Volatile.Write(ref _busy, batch.Count > 0 ? 1 : 0);
            var backlog = Volatile.Read(ref _count);
            if (backlog >= _maxBatch && batch.Count == 0)
            {
                continue;
            }

            if (_stopping && backlog == 0 && batch.Count == 0)
            {
                break;
            }

            if (!took && batch.Count == 0 && _idle is not null && Environment.TickCount64 - _lastIdle >= 250)
            {
                _lastIdle = Environment.TickCount64;
                try
                {
                    _idle();
                }
                catch (Exception e)
                {
                    Console.Error.WriteLine($"entrepot: {_thread.Name} idle work failed: {e.Message}");
                }
            }

            // A busy exchange (64 rows or more last time) waits longer, so each commit carries
            // more rows: the tail pages a commit rewrites are shared by more of them (about 15 %
            // less writer CPU per trade at 10k trades/s). A quiet one keeps the short wait, so a
            // single buyer's requests never queue behind a long burst.
            var wait = batch.Count > 0 ? TimeSpan.FromMilliseconds(500) : written >= BusyBatch ? _linger * 4 : _linger;
            Thread.Sleep(wait);

            // Back to the idle class only after some seconds in which nothing had to raise it: on
            // CPUs saturated by requests an idle-class thread waits for CPU holding managed state,
            // and every garbage collection waits for it to reach a safe point (measured at 50
            // connections when it went back as soon as it had caught up: average pause 1.9 -> 3.5 ms
            // and a larger heap). There, it now spends a few percent of the time in the idle class.
            if (Volatile.Read(ref _count) < RaiseAt / 2 && Environment.TickCount64 - Volatile.Read(ref _lastRaised) >= QuietBeforeIdle)
            {
                LowerSelf();
            }
        }

        _stopped.TrySetResult();
    }

    private bool TryWrite(List<T> batch)
    {
        try
        {
            WriterPace.Batch();
            _write(batch);
            _failures = 0;
            return true;
        }
        catch (Exception e)
        {
            // Whatever failed (the database, a store the batch consults), the writer thread must not
            // die with the records it holds: they are written on the next round, or set aside.
            _failures++;
            Console.Error.WriteLine($"entrepot: could not commit {batch.Count} {typeof(T).Name} records (try {_failures}): {e.Message}");
            if (_failures < BatchTries || _deadLetter is null)
            {
                return false;
            }

            _failures = 0;
            Isolate(batch);
            return false;
        }
    }

    /// <summary>Writes a batch that failed as a whole one record at a time; a record that fails alone
    /// goes to the dead-letter handler, and only records it could not take either stay in the batch.</summary>
    private void Isolate(List<T> batch)
    {
        var kept = new List<T>();
        var one = new List<T>(1);
        foreach (var item in batch)
        {
            one.Clear();
            one.Add(item);
            try
            {
                _write(one);
                Interlocked.Add(ref _written, one.Count);
                continue;
            }
            catch (Exception e)
            {
                bool taken;
                try
                {
                    taken = _deadLetter!(item, e);
                }
                catch (Exception inner)
                {
                    Console.Error.WriteLine($"entrepot: the dead-letter store failed too: {inner.Message}");
                    taken = false;
                }

                if (taken)
                {
                    Interlocked.Increment(ref _deadLettered);
                    Console.Error.WriteLine($"entrepot: a {typeof(T).Name} record could not be written after {BatchTries + 1} tries and was set aside (dead letter): {e.Message}");
                }
                else
                {
                    kept.Add(item);
                }
            }
        }

        batch.Clear();
        batch.AddRange(kept);
    }

    /// <summary>A stop's bound passed: everything still here goes to the abandon handler.</summary>
    private void Abandon(List<T> batch)
    {
        while (_queue.TryDequeue(out var item))
        {
            batch.Add(item);
            Interlocked.Decrement(ref _count);
        }

        if (batch.Count > 0)
        {
            Console.Error.WriteLine($"entrepot: {_thread.Name} stopped with {batch.Count} records not written; they are set aside.");
            try
            {
                _abandon?.Invoke(batch);
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"entrepot: {batch.Count} records could not be set aside either: {e.Message}");
            }
        }

        batch.Clear();
        Volatile.Write(ref _busy, 0);
    }

    public ValueTask DisposeAsync() => StopAsync(DefaultStopWithin);

    /// <summary>Stops taking records and waits for the queue to drain, at most <paramref name="within"/>;
    /// then the rest is handed to the abandon handler and the stop completes (within about a second
    /// more, or when a store call in progress returns).</summary>
    public async ValueTask StopAsync(TimeSpan within)
    {
        _stopping = true;
        RaiseWriter(); // shutting down: drain at full speed
        Volatile.Read(ref _space).TrySetResult();
        if (await Task.WhenAny(_stopped.Task, Task.Delay(within)).ConfigureAwait(false) != _stopped.Task)
        {
            _abandoning = true;
            await Task.WhenAny(_stopped.Task, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }

        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync().ConfigureAwait(false);
        }
    }
}
