namespace Entrepot.Core.Routing;

/// <summary>
/// What the exchange has observed of one provider: a circuit breaker and exponentially weighted
/// moving averages of time to first byte and output speed. Updated after each attempt, off the
/// ranking path; reads are lock-free.
/// </summary>
public sealed class ProviderHealth(TimeProvider time)
{
    private const double Alpha = 0.2;

    /// <summary>Samples needed before measurements replace the estimate.</summary>
    public const int MinSamples = 5;

    private readonly Lock _gate = new();
    private double _ttfbMs;
    private double _tokensPerSecond;
    private int _latencySamples;
    private int _throughputSamples;
    private long _failures;
    private long _successes;

    public CircuitBreaker Circuit { get; } = new(time);

    public double? MeasuredTtfbMs => Volatile.Read(ref _latencySamples) >= MinSamples ? Volatile.Read(ref _ttfbMs) : null;
    public double? MeasuredTokensPerSecond => Volatile.Read(ref _throughputSamples) >= MinSamples ? Volatile.Read(ref _tokensPerSecond) : null;
    public long Failures => Interlocked.Read(ref _failures);
    public long Successes => Interlocked.Read(ref _successes);

    public void RecordFirstByte(double ttfbMs)
    {
        lock (_gate)
        {
            _ttfbMs = _latencySamples == 0 ? ttfbMs : _ttfbMs + Alpha * (ttfbMs - _ttfbMs);
            _latencySamples++;
        }
    }

    public void RecordThroughput(long outputTokens, double generationMs)
    {
        if (outputTokens <= 0 || generationMs <= 0)
        {
            return;
        }

        var tps = outputTokens * 1000.0 / generationMs;
        lock (_gate)
        {
            _tokensPerSecond = _throughputSamples == 0 ? tps : _tokensPerSecond + Alpha * (tps - _tokensPerSecond);
            _throughputSamples++;
        }
    }

    public void RecordSuccess()
    {
        Interlocked.Increment(ref _successes);
        Circuit.RecordSuccess();
    }

    public void RecordFailure()
    {
        Interlocked.Increment(ref _failures);
        Circuit.RecordFailure();
    }
}
