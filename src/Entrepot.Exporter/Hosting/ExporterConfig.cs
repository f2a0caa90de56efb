using System.Text.Json.Serialization;

namespace Entrepot.Exporter.Hosting;

/// <summary>An exporter node's configuration file (JSON). See docs/OPERATIONS.md for an example.</summary>
public sealed record ExporterConfig
{
    [JsonPropertyName("node")] public NodeSection Node { get; set; } = new();
    [JsonPropertyName("engine")] public EngineSection Engine { get; set; } = new();
    [JsonPropertyName("admission")] public AdmissionSection Admission { get; set; } = new();

    /// <summary>Extra time spent per request to emulate the network distance to the exchange (demo only).</summary>
    [JsonPropertyName("emulated_delay_ms")] public int EmulatedDelayMs { get; init; }

    /// <summary>Bearer keys the exchange must present; empty means the node is open (loopback demos).</summary>
    [JsonPropertyName("exchange_keys")] public List<string> ExchangeKeys { get; set; } = [];
    [JsonPropertyName("exchange_key_hashes")] public List<string> ExchangeKeyHashes { get; set; } = [];

    /// <summary>Rule packs (by id, e.g. "ofac") this node applies to the buyer's jurisdiction, which
    /// the exchange states in Entrepot-Buyer-Jurisdiction; a denied buyer gets 451.</summary>
    [JsonPropertyName("screen_buyers")] public List<string> ScreenBuyers { get; set; } = [];

    /// <summary>The exchanges this node serves, by their signing keys (from their /.well-known/entrepot/keys);
    /// when set, every request must carry a valid signature of one of them.</summary>
    [JsonPropertyName("trusted_exchanges")] public List<TrustedExchange> TrustedExchanges { get; set; } = [];

    /// <summary>Where the packs are read from (default: the packs shipped beside the program).</summary>
    [JsonPropertyName("rules_dir")] public string? RulesDir { get; set; }

    /// <summary>Serve HTTPS with this certificate (for example one from <c>entrepot tls issue</c>).</summary>
    [JsonPropertyName("tls")] public TlsSection? Tls { get; set; }

    /// <summary>Publish the node's offer and load to exchanges on a heartbeat.</summary>
    [JsonPropertyName("market")] public MarketSection? Market { get; set; }
}

/// <summary>Where and how often the node heartbeats; the exchange lists it under <c>node.id</c> with
/// this node's receipt key pinned.</summary>
public sealed record MarketSection
{
    [JsonPropertyName("exchange_urls")] public List<string> ExchangeUrls { get; set; } = [];
    [JsonPropertyName("interval_seconds")] public double IntervalSeconds { get; set; } = 5;
}

/// <summary>A node's TLS certificate and key, PEM files.</summary>
public sealed record TlsSection
{
    [JsonPropertyName("cert_file")] public string? CertFile { get; set; }
    [JsonPropertyName("key_file")] public string? KeyFile { get; set; }
}

/// <summary>A price per million tokens.</summary>
public sealed record NodePrice
{
    [JsonPropertyName("input")] public decimal Input { get; set; }
    [JsonPropertyName("output")] public decimal Output { get; set; }
    [JsonPropertyName("currency")] public string Currency { get; set; } = "USD";
}

public sealed record TrustedExchange
{
    [JsonPropertyName("key_id")] public string? KeyId { get; set; }
    [JsonPropertyName("public_key")] public string? PublicKey { get; set; }
}

public sealed record NodeSection
{
    [JsonPropertyName("id")] public string Id { get; set; } = "node";
    [JsonPropertyName("jurisdiction")] public string Jurisdiction { get; set; } = "US";
    [JsonPropertyName("city")] public string? City { get; init; }
    [JsonPropertyName("host")] public string Host { get; set; } = "127.0.0.1";
    [JsonPropertyName("port")] public int Port { get; set; } = 8081;

    /// <summary>The node's list price, signed into every receipt.</summary>
    [JsonPropertyName("price")] public NodePrice? Price { get; set; }
}

public sealed record EngineSection
{
    /// <summary>"embedded" (LLamaSharp GGUF) or "upstream" (any OpenAI-compatible base URL).</summary>
    [JsonPropertyName("kind")] public string Kind { get; set; } = "embedded";
    [JsonPropertyName("model_path")] public string? ModelPath { get; init; }
    [JsonPropertyName("model_name")] public string? ModelName { get; init; }
    [JsonPropertyName("context_size")] public int ContextSize { get; set; } = 512;
    [JsonPropertyName("base_url")] public string? BaseUrl { get; init; }
    [JsonPropertyName("api_key")] public string? ApiKey { get; init; }
    [JsonPropertyName("models")] public List<string> Models { get; set; } = [];
}

public sealed record AdmissionSection
{
    [JsonPropertyName("max_concurrency")] public int MaxConcurrency { get; set; } = 4;
    [JsonPropertyName("max_queue")] public int MaxQueue { get; set; } = 16;

    /// <summary>How long a request's body may take to arrive; it is read before a slot is taken.</summary>
    [JsonPropertyName("body_timeout_seconds")] public double BodyTimeoutSeconds { get; set; } = 10;
}

[JsonSourceGenerationOptions(ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(ExporterConfig))]
[JsonSerializable(typeof(Entrepot.Core.Market.Heartbeat))]
[JsonSerializable(typeof(NodeHealth))]
[JsonSerializable(typeof(NodeModels))]
[JsonSerializable(typeof(KeySet))]
internal sealed partial class ExporterJsonContext : JsonSerializerContext;

public sealed record NodeHealth(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("engine")] string Engine,
    [property: JsonPropertyName("in_flight")] int InFlight,
    [property: JsonPropertyName("queued")] int Queued,
    [property: JsonPropertyName("max_concurrency")] int MaxConcurrency,
    [property: JsonPropertyName("rejected")] long Rejected,
    [property: JsonPropertyName("served")] long Served);

public sealed record NodeModels(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<NodeModel> Data);

public sealed record NodeModel(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy);

/// <summary>GET /.well-known/entrepot/keys: the public keys that sign this node's receipts.</summary>
public sealed record KeySet([property: JsonPropertyName("keys")] IReadOnlyList<PublicKeyView> Keys)
{
    public static KeySet Of(string signer, Core.Trust.SigningKey key) =>
        new([new PublicKeyView(key.KeyId, "Ed25519", Core.Trust.Receipts.Base64Url(key.PublicKey), signer, "receipt")]);
}

public sealed record PublicKeyView(
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("public_key")] string PublicKey,
    [property: JsonPropertyName("signer")] string Signer,
    [property: JsonPropertyName("use")] string Use);
