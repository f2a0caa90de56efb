using Entrepot.Core.Network;
using Entrepot.Core.Protocol;

namespace Entrepot.Core.Market;

/// <summary>
/// A seller the exchange can route to: where it is, what it serves and at what price.
/// Immutable; a change of configuration replaces the whole provider list atomically.
/// </summary>
public sealed record Provider
{
    public required string Id { get; init; }
    public ProviderKind Kind { get; init; } = ProviderKind.OpenAI;

    /// <summary>OpenAI-style base URL ending before <c>/chat/completions</c>, e.g. <c>http://host:8081/v1</c>.</summary>
    public required Uri BaseUrl { get; init; }

    /// <summary>Key the exchange presents upstream; never shown to buyers.</summary>
    public string? ApiKey { get; init; }

    /// <summary>ISO 3166-1 alpha-2 code of the country where inference runs.</summary>
    public required string Jurisdiction { get; init; }
    public string? City { get; init; }
    public GeoPoint? Location { get; init; }

    /// <summary>UN/LOCODE of the city it runs in, placing it on the cable network; else the nearest
    /// city to <see cref="Location"/> is used.</summary>
    public string? Locode { get; init; }
    public required IReadOnlyList<string> Models { get; init; }
    public required Price Price { get; init; }

    /// <summary>ISO 3166-2 subdivision when it matters to the rules (e.g. UA-43); else null.</summary>
    public string? Region { get; init; }

    /// <summary>Country of the seller's owner, when it differs from where it runs (28 CFR 202.211).</summary>
    public string? Ownership { get; init; }

    /// <summary>What the seller has attested (zero-retention, eu-us-dpf ...).</summary>
    public IReadOnlyList<string> Attestations { get; init; } = [];

    /// <summary>The key the seller's receipts and heartbeats must be signed with, when pinned (a whole
    /// public key, base64url, or a key id: <see cref="Trust.KeyPin"/>); else any valid key, recorded.</summary>
    public string? ReceiptKey { get; init; }

    /// <summary>Contracts in place with the seller (scc, cn-standard-contract ...).</summary>
    public IReadOnlyList<string> Contracts { get; init; } = [];

    private Border.Policy.Counterparty? _counterparty;

    /// <summary>The seller as the border rules see it.</summary>
    public Border.Policy.Counterparty Counterparty =>
        _counterparty ??= new Border.Policy.Counterparty(Id, Region ?? Jurisdiction, Ownership, Attestations, Contracts);

    /// <summary>Concurrent requests the seller says it can take; used as a throughput prior.</summary>
    public int Capacity { get; init; } = 8;

    /// <summary>How far its heartbeats may move its price from <see cref="Price"/> (configured).</summary>
    public PriceBounds PriceBounds { get; init; } = PriceBounds.Default;

    /// <summary>
    /// The seller as its live offer makes it: the configured models it still serves (a heartbeat only
    /// narrows them), its offered price held to <see cref="PriceBounds"/>, its capacity at most the
    /// configured one. Nothing a node announces widens what the operator listed.
    /// </summary>
    public Provider WithOffer(Offer offer) => this with
    {
        Models = Models.Where(m => offer.Models.Contains(m, StringComparer.Ordinal)).ToArray(),
        Price = PriceBounds.Clamp(Price, offer.Price),
        Capacity = Math.Min(Capacity, offer.Capacity),
    };

    /// <summary>Time allowed from sending the request to the first response byte.</summary>
    public TimeSpan FirstByteTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest silence between two events once a stream has started: a seller that stalls
    /// longer is cut off and the buyer keeps what was delivered.</summary>
    public TimeSpan StreamIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest a request routed to this seller may take, to its last byte.</summary>
    public TimeSpan TotalTimeout { get; init; } = TimeSpan.FromMinutes(10);

    // Cached on first use; a copy made with `with` keeps them, so never change BaseUrl that way.
    private Uri? _chatUrl;
    private Uri? _completionsUrl;
    private Uri? _embeddingsUrl;

    /// <summary>The seller's URL for an endpoint, built once.</summary>
    public Uri EndpointUrl(EndpointKind kind) => kind switch
    {
        EndpointKind.ChatCompletions => _chatUrl ??= new Uri(BaseUrl, "chat/completions"),
        EndpointKind.Embeddings => _embeddingsUrl ??= new Uri(BaseUrl, "embeddings"),
        _ => _completionsUrl ??= new Uri(BaseUrl, "completions"),
    };

    /// <summary>The models of <see cref="Models"/> this seller also serves on /v1/embeddings.</summary>
    public IReadOnlyList<string> EmbeddingModels { get; init; } = [];

    /// <summary>Its embedding models take the <c>dimensions</c> parameter (shortened vectors).</summary>
    public bool EmbeddingDimensions { get; init; }

    public bool ServesEmbeddings(string model) => EmbeddingModels.Contains(model, StringComparer.Ordinal);

    /// <summary>The doors besides chat completions it speaks natively ("responses", "messages").</summary>
    public IReadOnlyList<string> NativeApis { get; init; } = [];

    /// <summary>Whether it takes a request through <paramref name="api"/> ("responses", "messages") as the buyer sent it.</summary>
    public bool Speaks(string api) => NativeApis.Contains(api, StringComparer.Ordinal);

    /// <summary>Its URL for a door it speaks natively: base_url + "responses" or "messages".</summary>
    public Uri NativeUrl(string api) => new(BaseUrl, api);

    public bool Serves(string model)
    {
        foreach (var m in Models)
        {
            if (string.Equals(m, model, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
