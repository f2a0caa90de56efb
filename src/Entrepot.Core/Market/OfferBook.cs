using System.Collections.Concurrent;

namespace Entrepot.Core.Market;

/// <summary>
/// The live offers of exporter nodes, by provider id. A node that publishes is in the market with its
/// latest offer; one whose offer expires has left it (<see cref="HasLeft"/>) until it publishes again.
/// Sellers that never publish (plain OpenAI-compatible APIs) are not affected.
/// </summary>
public sealed class OfferBook(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, Offer> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _left = new(StringComparer.Ordinal);

    /// <summary>Raised after an offer arrives or a node leaves, so routes are rebuilt.</summary>
    public event Action? Changed;

    public Offer? Get(string providerId) => _live.GetValueOrDefault(providerId);

    public bool HasLeft(string providerId) => _left.ContainsKey(providerId);

    public DateTimeOffset? LastHeartbeat(string providerId) => _live.TryGetValue(providerId, out var o) ? o.ReceivedAt : null;

    /// <returns>Null when accepted; else why not (a stale sequence number).</returns>
    public string? Publish(Offer offer)
    {
        while (true)
        {
            if (_live.TryGetValue(offer.ProviderId, out var current))
            {
                if (offer.Sequence <= current.Sequence)
                {
                    return $"sequence {offer.Sequence} is not after the last accepted ({current.Sequence}).";
                }

                if (!_live.TryUpdate(offer.ProviderId, offer, current))
                {
                    continue;
                }
            }
            else if (!_live.TryAdd(offer.ProviderId, offer))
            {
                continue;
            }

            break;
        }

        _left.TryRemove(offer.ProviderId, out _);
        Changed?.Invoke();
        return null;
    }

    /// <summary>Removes offers whose heartbeats stopped; returns the nodes that left.</summary>
    public IReadOnlyList<string> Expire()
    {
        var now = time.GetUtcNow();
        List<string>? gone = null;
        foreach (var (id, offer) in _live)
        {
            if (offer.ExpiresAt < now && _live.TryRemove(new KeyValuePair<string, Offer>(id, offer)))
            {
                _left[id] = now;
                (gone ??= []).Add(id);
            }
        }

        if (gone is not null)
        {
            Changed?.Invoke();
        }

        return gone ?? (IReadOnlyList<string>)[];
    }

    /// <summary>Forgets a node entirely (its provider was removed).</summary>
    public void Forget(string providerId)
    {
        _live.TryRemove(providerId, out _);
        _left.TryRemove(providerId, out _);
    }
}
