namespace Entrepot.Storage;

/// <summary>
/// The exporter nodes' latest heartbeats, shared by the exchange nodes of a cluster: a load balancer
/// gives each heartbeat to one node, which keeps it here (and tells the others), so every node sees
/// every seller's live offer and a node that starts later joins with the market as it is.
/// </summary>
public interface IOfferStore
{
    /// <summary>Keeps a node's heartbeat (the verified JSON) unless a later one is already kept.</summary>
    void Save(string providerId, long sequence, string heartbeat, DateTimeOffset receivedAt);

    /// <summary>The heartbeats received since a time, one per node.</summary>
    IReadOnlyList<(string Heartbeat, DateTimeOffset ReceivedAt)> Since(DateTimeOffset since);
}
