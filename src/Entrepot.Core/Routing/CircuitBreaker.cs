namespace Entrepot.Core.Routing;

/// <summary>
/// Keeps a failing provider out of rotation: after <see cref="FailureThreshold"/> consecutive
/// failures the circuit opens for <see cref="Cooldown"/>; then one trial request is let through
/// (half-open) and its outcome closes or re-opens the circuit.
/// </summary>
public sealed class CircuitBreaker(TimeProvider time, int failureThreshold = 3, TimeSpan? cooldown = null)
{
    private readonly Lock _gate = new();
    private int _consecutiveFailures;
    private long _openUntilTicks;
    private bool _trialInFlight;

    public int FailureThreshold { get; } = failureThreshold;
    public TimeSpan Cooldown { get; } = cooldown ?? TimeSpan.FromSeconds(10);

    public CircuitState State
    {
        get
        {
            lock (_gate)
            {
                if (_openUntilTicks == 0)
                {
                    return CircuitState.Closed;
                }

                return time.GetUtcNow().UtcTicks < _openUntilTicks ? CircuitState.Open : CircuitState.HalfOpen;
            }
        }
    }

    /// <summary>True if a request may be sent now. In half-open state only one trial at a time.</summary>
    public bool TryAcquire()
    {
        lock (_gate)
        {
            if (_openUntilTicks == 0)
            {
                return true;
            }

            if (time.GetUtcNow().UtcTicks < _openUntilTicks || _trialInFlight)
            {
                return false;
            }

            _trialInFlight = true;
            return true;
        }
    }

    public void RecordSuccess()
    {
        lock (_gate)
        {
            _consecutiveFailures = 0;
            _openUntilTicks = 0;
            _trialInFlight = false;
        }
    }

    public void RecordFailure()
    {
        lock (_gate)
        {
            _consecutiveFailures++;
            if (_trialInFlight || _consecutiveFailures >= FailureThreshold)
            {
                _openUntilTicks = (time.GetUtcNow() + Cooldown).UtcTicks;
            }

            _trialInFlight = false;
        }
    }
}

public enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}
