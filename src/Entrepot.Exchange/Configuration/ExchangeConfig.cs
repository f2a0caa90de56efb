using System.Text.Json.Serialization;
using Entrepot.Core.Market;

namespace Entrepot.Exchange.Configuration;

/// <summary>The exchange's configuration file (JSON). See docs/OPERATIONS.md for an example.</summary>
public sealed record ExchangeConfig
{
    [JsonPropertyName("exchange")] public ExchangeSection Exchange { get; set; } = new();
    [JsonPropertyName("accounts")] public List<AccountSpec> Accounts { get; set; } = [];
    [JsonPropertyName("providers")] public List<ProviderSpec> Providers { get; set; } = [];

    /// <summary>The file this was read from (named when the admin API refuses to change what it defines).</summary>
    [JsonIgnore] public string? SourcePath { get; set; }
}

public sealed record ExchangeSection
{
    /// <summary>Where the exchange runs; the origin of trades whose buyer states no jurisdiction.</summary>
    [JsonPropertyName("jurisdiction")] public string Jurisdiction { get; set; } = "DE";
    [JsonPropertyName("city")] public string? City { get; init; }
    [JsonPropertyName("latitude")] public double? Latitude { get; init; }
    [JsonPropertyName("longitude")] public double? Longitude { get; init; }

    /// <summary>UN/LOCODE placing the exchange on the cable network (else the city nearest its coordinates).</summary>
    [JsonPropertyName("locode")] public string? Locode { get; init; }

    /// <summary>A cable network file replacing the one shipped (data/network.json's format).</summary>
    [JsonPropertyName("network_file")] public string? NetworkFile { get; set; }
    [JsonPropertyName("host")] public string Host { get; set; } = "127.0.0.1";
    [JsonPropertyName("port")] public int Port { get; set; } = 8080;

    /// <summary>Admin key in clear (development) or its digest as <c>sha256:hex</c> (production).</summary>
    [JsonPropertyName("admin_key")] public string? AdminKey { get; init; }
    [JsonPropertyName("admin_key_hash")] public string? AdminKeyHash { get; init; }
    [JsonPropertyName("max_request_bytes")] public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>The most a seller's answer may be, whole or streamed; past it the attempt ends.</summary>
    [JsonPropertyName("max_response_bytes")] public int MaxResponseBytes { get; set; } = 64 * 1024 * 1024;
    [JsonPropertyName("default_sort")] public string DefaultSort { get; set; } = "balanced";

    /// <summary>Directory of rule packs (YAML); default: DATA_DIR/rules if present, else the packs
    /// shipped beside the program.</summary>
    [JsonPropertyName("rules_dir")] public string? RulesDir { get; set; }

    /// <summary>The exchange's fee in percent of each trade's cost, posted to exchange:fees in the ledger.</summary>
    [JsonPropertyName("fee_percent")] public decimal FeePercent { get; set; }

    /// <summary>Output tokens a budget hold assumes when a request sets no max_tokens.</summary>
    [JsonPropertyName("hold_max_tokens")] public int HoldMaxTokens { get; set; } = 4096;

    /// <summary>A private CA's certificate (PEM, as <c>entrepot tls ca</c> writes it) that sellers'
    /// HTTPS certificates may chain to, besides the system's roots.</summary>
    [JsonPropertyName("tls_ca_file")] public string? TlsCaFile { get; set; }

    /// <summary>Where the ledger is kept: {"store": "sqlite"} (default, the data dir's file) or
    /// {"store": "postgres", "connection": "Host=...;Database=..."}.</summary>
    [JsonPropertyName("ledger")] public LedgerSection? Ledger { get; set; }

    /// <summary>Currency rates for budgets in another currency than a seller's prices.</summary>
    [JsonPropertyName("rates")] public RatesSection? Rates { get; set; }

    /// <summary>Where the exchange's signing key is kept (default: the data directory). The nodes of a
    /// cluster share one key: to buyers, sellers and the ledger they are one exchange.</summary>
    [JsonPropertyName("signing_key_dir")] public string? SigningKeyDir { get; set; }

    /// <summary>Several exchange nodes as one: {"redis": "127.0.0.1:6379", "node_id": "a"}, with the
    /// ledger in PostgreSQL. See docs/OPERATIONS.md.</summary>
    [JsonPropertyName("cluster")] public ClusterSection? Cluster { get; set; }

    /// <summary>How the exchange counts each model's tokens to check sellers' claims, by model name:
    /// "estimate", "tiktoken:ENCODING" or "gguf:PATH" (the model file's own vocabulary and chat
    /// template). OpenAI model names need no entry; other models are estimated.</summary>
    [JsonPropertyName("tokenizers")] public Dictionary<string, string> Tokenizers { get; set; } = [];
}

public sealed record ClusterSection
{
    /// <summary>StackExchange.Redis configuration string, e.g. "10.0.0.9:6379,password=...".</summary>
    [JsonPropertyName("redis")] public string? Redis { get; set; }

    /// <summary>This node's name in logs and announcements (default: host name and port).</summary>
    [JsonPropertyName("node_id")] public string? NodeId { get; set; }

    /// <summary>How many nodes serve: while Redis is down each admits this share of the rate limits.</summary>
    [JsonPropertyName("nodes")] public int Nodes { get; set; } = 2;

    /// <summary>Prefix of every Redis key and channel, so several exchanges can share one Redis.</summary>
    [JsonPropertyName("prefix")] public string Prefix { get; set; } = "entrepot:";
}

public sealed record LedgerSection
{
    [JsonPropertyName("store")] public string Store { get; set; } = "sqlite";
    [JsonPropertyName("connection")] public string? Connection { get; set; }
}

/// <summary>Units of each currency per one unit of <c>base</c>, with their source and date.</summary>
public sealed record RatesSection
{
    [JsonPropertyName("base")] public string? Base { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("as_of")] public string? AsOf { get; set; }
    [JsonPropertyName("per_base")] public Dictionary<string, decimal> PerBase { get; set; } = [];
}

public sealed record AccountSpec
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("name")] public string? Name { get; init; }
    [JsonPropertyName("home_jurisdiction")] public string? HomeJurisdiction { get; init; }

    /// <summary>The least class this buyer's requests are treated as (e.g. personal).</summary>
    [JsonPropertyName("default_data_class")] public string? DefaultDataClass { get; init; }

    /// <summary>The buyer's own statements that rules may require (e.g. ru-localised).</summary>
    [JsonPropertyName("attestations")] public List<string> Attestations { get; set; } = [];

    /// <summary>The account's written opt-out of credential masking: true sends keys, tokens and private
    /// keys the scanner finds to sellers as they are (each such trade is declared so). Default false:
    /// they are replaced by placeholders whatever the destination.</summary>
    [JsonPropertyName("secrets_in_clear")] public bool SecretsInClear { get; init; }

    /// <summary>The currency the account is invoiced in (ISO 4217, default USD); its budget's default.</summary>
    [JsonPropertyName("currency")] public string? Currency { get; init; }

    /// <summary>The account's spending limit: {"amount": 10, "currency": "USD", "period": "month"}.</summary>
    [JsonPropertyName("budget")] public BudgetSpec? Budget { get; init; }

    /// <summary>{"requests_per_minute": n, "tokens_per_minute": n}.</summary>
    [JsonPropertyName("limits")] public LimitsSpec? Limits { get; init; }

    /// <summary>Caps on the share of tokens to one jurisdiction or one seller over a sliding window.</summary>
    [JsonPropertyName("diversification")] public DiversificationSpec? Diversification { get; init; }

    /// <summary>Keys in clear; stored only as digests.</summary>
    [JsonPropertyName("keys")] public List<string> Keys { get; set; } = [];

    /// <summary>Key digests as <c>sha256:hex</c>, for configuration files that must not hold secrets.</summary>
    [JsonPropertyName("key_hashes")] public List<string> KeyHashes { get; set; } = [];
}

public sealed record BudgetSpec
{
    [JsonPropertyName("amount")] public decimal? Amount { get; init; }
    [JsonPropertyName("currency")] public string? Currency { get; init; }

    /// <summary>total, day or month.</summary>
    [JsonPropertyName("period")] public string? Period { get; init; }
}

public sealed record DiversificationSpec
{
    [JsonPropertyName("max_jurisdiction_share")] public double? MaxJurisdictionShare { get; init; }
    [JsonPropertyName("max_seller_share")] public double? MaxSellerShare { get; init; }
    [JsonPropertyName("window_minutes")] public double? WindowMinutes { get; init; }
    [JsonPropertyName("min_tokens")] public long? MinTokens { get; init; }

    /// <summary>Null and the wrong field's name when out of range.</summary>
    public Core.Routing.DiversificationPolicy? ToPolicy(out string? badField)
    {
        badField = Core.Routing.DiversificationPolicy.Validate(MaxJurisdictionShare, MaxSellerShare, WindowMinutes, MinTokens);
        return badField is null
            ? new Core.Routing.DiversificationPolicy(MaxJurisdictionShare, MaxSellerShare, TimeSpan.FromMinutes(WindowMinutes ?? 60), MinTokens ?? 1000)
            : null;
    }
}

public sealed record LimitsSpec
{
    [JsonPropertyName("requests_per_minute")] public int? RequestsPerMinute { get; init; }
    [JsonPropertyName("tokens_per_minute")] public int? TokensPerMinute { get; init; }
}
