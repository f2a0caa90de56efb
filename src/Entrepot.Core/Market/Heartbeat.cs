using System.Text.Json.Serialization;

namespace Entrepot.Core.Market;

/// <summary>
/// What an exporter node posts to the exchange every few seconds (POST /v1/market/heartbeat): its
/// offer and its load, signed with the node's receipt key (the <see cref="Trust.RequestSignature"/>
/// headers, request id <c>heartbeat:NODE</c>). The exchange accepts it only from the key pinned for
/// that seller, so nobody else can move a seller's price or take it out of the market.
/// </summary>
public sealed record Heartbeat
{
    public const string Path = "/v1/market/heartbeat";

    [JsonPropertyName("node_id")] public string? NodeId { get; init; }

    /// <summary>The node's Ed25519 public key (base64url); its key id must be the one pinned for the seller.</summary>
    [JsonPropertyName("public_key")] public string? PublicKey { get; init; }

    /// <summary>Grows with every heartbeat, across restarts too (the node uses Unix milliseconds).</summary>
    [JsonPropertyName("sequence")] public long? Sequence { get; init; }
    [JsonPropertyName("interval_seconds")] public double? IntervalSeconds { get; init; }
    [JsonPropertyName("models")] public List<string>? Models { get; init; }
    [JsonPropertyName("price")] public PriceSpec? Price { get; init; }
    [JsonPropertyName("capacity")] public int? Capacity { get; init; }
    [JsonPropertyName("in_flight")] public int? InFlight { get; init; }
    [JsonPropertyName("queued")] public int? Queued { get; init; }

    public static string RequestId(string nodeId) => "heartbeat:" + nodeId;

    /// <summary>The offer it carries, or null with the first wrong field named.</summary>
    public Offer? ToOffer(DateTimeOffset now, out string? error, out string? field)
    {
        (error, field) = (null, null);
        var price = Price?.ToPrice(out _);
        if (Sequence is not > 0)
        {
            (error, field) = ("'sequence' must be a positive number that grows with every heartbeat.", "sequence");
        }
        else if (IntervalSeconds is not (>= 1 and <= 60))
        {
            (error, field) = ("'interval_seconds' must be between 1 and 60.", "interval_seconds");
        }
        else if (Models is not { Count: > 0 and <= 256 } || Models.Any(m => string.IsNullOrWhiteSpace(m) || m.Length > 200))
        {
            (error, field) = ("'models' must list the models the node serves (1-256 names).", "models");
        }
        else if (price is null)
        {
            (error, field) = ("'price' must be {\"input\": n, \"output\": n, \"currency\": \"USD\"} with non-negative prices per million tokens.", "price");
        }
        else if (Capacity is not (>= 1 and <= 1_000_000))
        {
            (error, field) = ("'capacity' must be the number of requests the node runs at once (at least 1).", "capacity");
        }
        else if (InFlight is not >= 0 || Queued is not >= 0)
        {
            (error, field) = ("'in_flight' and 'queued' must be non-negative counts.", InFlight is not >= 0 ? "in_flight" : "queued");
        }

        if (error is not null)
        {
            return null;
        }

        return new Offer(NodeId!, Models!.ToArray(), price!,
            Capacity!.Value, InFlight!.Value, Queued!.Value, Sequence!.Value, TimeSpan.FromSeconds(IntervalSeconds!.Value), now);
    }
}
