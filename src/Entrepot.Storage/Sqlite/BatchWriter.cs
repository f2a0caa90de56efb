using System.Threading.Channels;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// A bounded queue drained by one background task that hands batches to a writer delegate, which
/// commits each in one transaction. Producers never wait for the database, only for queue space
/// when it is full (back-pressure, nothing dropped). The writer lingers briefly after the first
/// item so light load still makes batches (see docs/PERFORMANCE.md).
/// </summary>
public sealed class BatchWriter<T> : IAsyncDisposable
{
    private readonly Channel<T> _queue;
    private readonly Action<List<T>> _write;
    private readonly TimeSpan _linger;
    private readonly int _maxBatch;
    private readonly Task _loop;
    private int _busy;

    public BatchWriter(Action<List<T>> write, int capacity = 65_536, int maxBatch = 1024, TimeSpan? linger = null)
    {
        _write = write;
        _maxBatch = maxBatch;
        _linger = linger ?? TimeSpan.FromMilliseconds(5);
        _queue = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(LoopAsync);
    }

    public long Written => Interlocked.Read(ref _written);

    private long _written;

    public ValueTask EnqueueAsync(T item) => _queue.Writer.TryWrite(item) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(item);

    /// <summary>For synchronous callers: queues, or blocks while the queue is full.</summary>
    public void Enqueue(T item)
    {
        if (!_queue.Writer.TryWrite(item))
        {
            _queue.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Waits until everything queued so far is committed.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        while (_queue.Reader.Count > 0 || Volatile.Read(ref _busy) == 1)
        {
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
    }

    private async Task LoopAsync()
    {
        var batch = new List<T>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Volatile.Write(ref _busy, 1);
            if (_linger > TimeSpan.Zero && reader.Count < _maxBatch)
            {
                await Task.Delay(_linger).ConfigureAwait(false);
            }

            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            try
            {
                _write(batch);
                Interlocked.Add(ref _written, batch.Count);
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // Kept going: a full disk must not stop trading; the error goes to stderr once per batch.
                await Console.Error.WriteLineAsync($"entrepot: could not write {batch.Count} {typeof(T).Name} rows: {e.Message}").ConfigureAwait(false);
            }
            finally
            {
                batch.Clear();
                Volatile.Write(ref _busy, 0);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }
}
