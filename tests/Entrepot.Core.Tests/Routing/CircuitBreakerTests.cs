using Entrepot.Core.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Entrepot.Core.Tests.Routing;

public class CircuitBreakerTests
{
    [Fact]
    public void Failures_BelowThreshold_StayClosed()
    {
        var breaker = new CircuitBreaker(new FakeTimeProvider(), failureThreshold: 3);
        breaker.RecordFailure();
        breaker.RecordFailure();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public void Failures_AtThreshold_OpenUntilCooldown_ThenOneTrial()
    {
        var time = new FakeTimeProvider();
        var breaker = new CircuitBreaker(time, failureThreshold: 2, cooldown: TimeSpan.FromSeconds(10));
        breaker.RecordFailure();
        breaker.RecordFailure();
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire());

        time.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.True(breaker.TryAcquire());
        Assert.False(breaker.TryAcquire()); // one trial at a time
    }

    [Fact]
    public void HalfOpenTrial_Success_Closes_Failure_Reopens()
    {
        var time = new FakeTimeProvider();
        var breaker = new CircuitBreaker(time, failureThreshold: 1, cooldown: TimeSpan.FromSeconds(5));
        breaker.RecordFailure();
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(breaker.TryAcquire());
        breaker.RecordFailure();
        Assert.Equal(CircuitState.Open, breaker.State);

        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(breaker.TryAcquire());
        breaker.RecordSuccess();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire());
    }
}
