namespace Entrepot.Exporter.Hosting;

/// <summary>
/// Admits at most <c>maxConcurrency</c> requests at once and lets at most <c>maxQueue</c> more wait;
/// anything beyond is refused at once (HTTP 429 with Retry-After) so the exchange can go elsewhere
/// instead of queueing behind a full seller.
/// </summary>
public sealed class Admission(int maxConcurrency, int maxQueue) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxConcurrency, maxConcurrency);
    private int _admitted;
    private long _rejected;

    public int MaxConcurrency { get; } = maxConcurrency;
    public int MaxQueue { get; } = maxQueue;
    public int InFlight => MaxConcurrency - _slots.CurrentCount;
    public int Queued => Math.Max(0, Volatile.Read(ref _admitted) - InFlight);
    public long Rejected => Interlocked.Read(ref _rejected);

    public void Dispose() => _slots.Dispose();

    /// <summary>Waits for a slot if the queue has room; null when the node is full.</summary>
    public async ValueTask<IDisposable?> TryEnterAsync(CancellationToken ct)
    {
        if (Interlocked.Increment(ref _admitted) > MaxConcurrency + MaxQueue)
        {
            Interlocked.Decrement(ref _admitted);
            Interlocked.Increment(ref _rejected);
            return null;
        }

        try
        {
            await _slots.WaitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _admitted);
            throw;
        }

        return new Slot(this);
    }

    private sealed class Slot(Admission owner) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                owner._slots.Release();
                Interlocked.Decrement(ref owner._admitted);
            }
        }
    }
}
