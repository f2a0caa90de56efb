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

    /// <summary>Raised (outside the lock) when this breaker opens on its own observations, with the
    /// time it stays open: other exchange nodes are told so they avoid the seller too.</summary>
    public event Action<DateTimeOffset>? Opened;

    /// <summary>Raised when a success closes an open or half-open circuit.</summary>
    public event Action? Closed;

    /// <summary>Another node saw the seller fail: open until then (never shortens a longer opening).</summary>
    public void OpenUntil(DateTimeOffset until)
    {
        lock (_gate)
        {
            _openUntilTicks = Math.Max(_openUntilTicks, until.UtcTicks);
            _trialInFlight = false;
        }
    }

    /// <summary>Another node saw the seller recover.</summary>
    public void CloseRemotely()
    {
        lock (_gate)
        {
            _consecutiveFailures = 0;
            _openUntilTicks = 0;
            _trialInFlight = false;
        }
    }

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
        bool wasOpen;
        lock (_gate)
        {
            wasOpen = _openUntilTicks != 0;
            _consecutiveFailures = 0;
            _openUntilTicks = 0;
            _trialInFlight = false;
        }

        if (wasOpen)
        {
            Closed?.Invoke();
        }
    }

    public void RecordFailure()
    {
        DateTimeOffset? opened = null;
        lock (_gate)
        {
            _consecutiveFailures++;
            if (_trialInFlight || _consecutiveFailures >= FailureThreshold)
            {
                var until = time.GetUtcNow() + Cooldown;
                _openUntilTicks = until.UtcTicks;
                opened = until;
            }

            _trialInFlight = false;
        }

        if (opened is { } at)
        {
            Opened?.Invoke(at);
        }
    }
}

public enum CircuitState
{
    Closed,
    Open,
    HalfOpen,
}
