namespace Entrepot.Core.Market;

/// <summary>
/// What an exporter node last published on its heartbeat: the models it serves, its posted price,
/// its capacity and how busy it is. <see cref="Sequence"/> only grows, so a replayed or reordered
/// heartbeat cannot roll an offer back.
/// </summary>
public sealed record Offer(
    string ProviderId,
    IReadOnlyList<string> Models,
    Price Price,
    int Capacity,
    int InFlight,
    int Queued,
    long Sequence,
    TimeSpan Interval,
    DateTimeOffset ReceivedAt)
{
    public double Load => SpotPrice.Load(InFlight, Queued, Capacity);

    /// <summary>A node that misses three heartbeats in a row has left the market.</summary>
    public DateTimeOffset ExpiresAt => ReceivedAt + 3 * Interval;
}
