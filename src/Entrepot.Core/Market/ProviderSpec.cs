using System.Text.Json.Serialization;
using Entrepot.Core.Network;

namespace Entrepot.Core.Market;

/// <summary>
/// A provider as written in configuration files, sent to the admin API and kept in the store.
/// <see cref="ToProvider"/> validates it and names the first wrong field.
/// </summary>
public sealed record ProviderSpec
{
    [JsonPropertyName("id")] public string? Id { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
    [JsonPropertyName("base_url")] public string? BaseUrl { get; init; }
    [JsonPropertyName("api_key")] public string? ApiKey { get; init; }

    /// <summary>The name of an environment variable holding the key (so no file or store holds it).</summary>
    [JsonPropertyName("api_key_env")] public string? ApiKeyEnv { get; init; }
    [JsonPropertyName("jurisdiction")] public string? Jurisdiction { get; init; }
    [JsonPropertyName("city")] public string? City { get; init; }
    [JsonPropertyName("locode")] public string? Locode { get; init; }
    [JsonPropertyName("latitude")] public double? Latitude { get; init; }
    [JsonPropertyName("longitude")] public double? Longitude { get; init; }
    [JsonPropertyName("models")] public List<string>? Models { get; init; }

    /// <summary>Which of <see cref="Models"/> it also serves on /v1/embeddings.</summary>
    [JsonPropertyName("embedding_models")] public List<string>? EmbeddingModels { get; init; }

    /// <summary>Its embedding models take <c>dimensions</c> (shortened vectors); default false.</summary>
    [JsonPropertyName("embedding_dimensions")] public bool? EmbeddingDimensions { get; init; }

    /// <summary>The doors it also speaks natively ("responses", "messages"): a request through one of
    /// them may reach it unchanged instead of translated to chat completions.</summary>
    [JsonPropertyName("native_apis")] public List<string>? NativeApis { get; init; }
    [JsonPropertyName("price")] public PriceSpec? Price { get; init; }
    [JsonPropertyName("capacity")] public int? Capacity { get; init; }
    [JsonPropertyName("timeout_seconds")] public double? TimeoutSeconds { get; init; }

    /// <summary>Longest silence allowed between two events of a stream once it started (default 60 s).</summary>
    [JsonPropertyName("stream_idle_seconds")] public double? StreamIdleSeconds { get; init; }

    /// <summary>Longest a request may take from the first attempt to the last byte (default 600 s).</summary>
    [JsonPropertyName("total_timeout_seconds")] public double? TotalTimeoutSeconds { get; init; }
    [JsonPropertyName("region")] public string? Region { get; init; }
    [JsonPropertyName("ownership")] public string? Ownership { get; init; }
    [JsonPropertyName("attestations")] public List<string>? Attestations { get; init; }
    [JsonPropertyName("contracts")] public List<string>? Contracts { get; init; }
    [JsonPropertyName("receipt_key_id")] public string? ReceiptKeyId { get; init; }

    /// <summary>The seller node's whole Ed25519 public key (base64url, from its /.well-known/entrepot/keys):
    /// its receipts and heartbeats must be signed with exactly this key.</summary>
    [JsonPropertyName("receipt_public_key")] public string? ReceiptPublicKey { get; init; }

    /// <summary>How far heartbeats may move the price: {"min": 0.5, "max": 2} times the listed price (the default).</summary>
    [JsonPropertyName("price_bounds")] public PriceBoundsSpec? PriceBounds { get; init; }

    /// <param name="openSecret">Opens an <c>api_key</c> sealed by the exchange (<see cref="Trust.SecretBox"/>); null when it cannot.</param>
    public Provider? ToProvider(out string? error, string path = "provider", Func<string, string?>? openSecret = null)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(Id) || Id.Length > 64 || !Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            error = $"'{path}.id' is required: 1-64 characters of letters, digits, '-', '_' or '.'.";
            return null;
        }

        ProviderKind kind;
        switch (Kind?.ToLowerInvariant())
        {
            case null or "openai":
                kind = ProviderKind.OpenAI;
                break;
            case "exporter":
                kind = ProviderKind.Exporter;
                break;
            default:
                error = $"'{path}.kind' must be \"exporter\" or \"openai\".";
                return null;
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var baseUrl) || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            error = $"'{path}.base_url' must be an absolute http(s) URL such as http://127.0.0.1:8081/v1.";
            return null;
        }

        if (Jurisdiction is null || Jurisdiction.Length != 2 || !Jurisdiction.All(char.IsAsciiLetter))
        {
            error = $"'{path}.jurisdiction' must be an ISO 3166-1 alpha-2 country code such as \"SG\".";
            return null;
        }

        if (Models is null || Models.Count == 0 || Models.Any(string.IsNullOrWhiteSpace))
        {
            error = $"'{path}.models' must be a non-empty array of model names.";
            return null;
        }

        if (EmbeddingModels?.FirstOrDefault(m => !Models.Contains(m, StringComparer.Ordinal)) is { } notOffered)
        {
            error = $"'{path}.embedding_models' names '{notOffered}', which is not in '{path}.models'.";
            return null;
        }

        if (NativeApis?.FirstOrDefault(a => a is not ("responses" or "messages")) is { } unknownApi)
        {
            error = $"'{path}.native_apis' names '{unknownApi}': a seller may speak \"responses\" and \"messages\" natively (chat completions it always speaks).";
            return null;
        }

        string? badPrice = "price";
        if (Price?.ToPrice(out badPrice) is not { } price)
        {
            error = badPrice == "price.currency"
                ? $"'{path}.price.currency' must be an ISO 4217 code such as \"USD\"."
                : badPrice == "price.cached_input"
                ? $"'{path}.price.cached_input' must be from 0 to the input price (a cached token never costs more)."
                : $"'{path}.price' must be {{\"input\": n, \"output\": n, \"currency\": \"USD\"}} with non-negative prices per million tokens.";
            return null;
        }

        GeoPoint? location = null;
        if (Latitude is not null || Longitude is not null)
        {
            if (Latitude is not (>= -90 and <= 90) || Longitude is not (>= -180 and <= 180))
            {
                error = $"'{path}.latitude' and '{path}.longitude' must both be given, in degrees.";
                return null;
            }

            location = new GeoPoint(Latitude.Value, Longitude.Value);
        }

        if (Locode is not null && (Locode.Length != 5 || !Locode.All(char.IsAsciiLetterOrDigit)))
        {
            error = $"'{path}.locode' must be a 5-character UN/LOCODE such as \"SGSIN\".";
            return null;
        }

        if (Capacity is < 1)
        {
            error = $"'{path}.capacity' must be at least 1.";
            return null;
        }

        if (TimeoutSeconds is <= 0 or > 3600)
        {
            error = $"'{path}.timeout_seconds' must be between 0 and 3600.";
            return null;
        }

        if (StreamIdleSeconds is <= 0 or > 3600 || TotalTimeoutSeconds is <= 0 or > 86_400)
        {
            error = $"'{path}.stream_idle_seconds' must be between 0 and 3600 and '{path}.total_timeout_seconds' between 0 and 86400.";
            return null;
        }

        if (Region is not null && (!Accounts.Account.IsJurisdiction(Region) || Region.Length < 4 ||
            !Region.StartsWith(Jurisdiction, StringComparison.OrdinalIgnoreCase)))
        {
            error = $"'{path}.region' must be an ISO 3166-2 code within the jurisdiction, such as \"{Jurisdiction.ToUpperInvariant()}-01\".";
            return null;
        }

        if (Ownership is not null && !Accounts.Account.IsJurisdiction(Ownership))
        {
            error = $"'{path}.ownership' must be an ISO 3166-1 alpha-2 country code such as \"CN\".";
            return null;
        }

        foreach (var (pin, field) in new[] { (ReceiptPublicKey, "receipt_public_key"), (ReceiptKeyId, "receipt_key_id") })
        {
            if (!string.IsNullOrWhiteSpace(pin) && Trust.KeyPin.Validate(pin.Trim()) is { } bad)
            {
                error = $"'{path}.{field}' {bad}.";
                return null;
            }
        }

        if (PriceBounds is { } pb && (pb.Min is not (> 0 and <= 1) || pb.Max is not (>= 1 and <= 100)))
        {
            error = $"'{path}.price_bounds' must be {{\"min\": m, \"max\": n}} with 0 < m <= 1 <= n <= 100 (factors of the listed price).";
            return null;
        }

        foreach (var (list, field) in new[] { (Attestations, "attestations"), (Contracts, "contracts") })
        {
            foreach (var a in list ?? [])
            {
                string? why = null;
                if (a is null || a.Length > 256 || Border.Policy.Holding.Parse(a, out why) is null)
                {
                    error = $"'{path}.{field}' must hold names such as \"scc\", optionally scoped (\"scc;for=DE+FR;with=buyer-1;from=2026-01-01;until=2026-12-31\"): {why ?? "an item is empty or over 256 characters"}.";
                    return null;
                }
            }
        }

        string? apiKey = string.IsNullOrEmpty(ApiKey) ? null : ApiKey;
        if (ApiKeyEnv is { } env)
        {
            if (env.Length == 0 || env.Length > 128 || !env.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                error = $"'{path}.api_key_env' must name an environment variable (letters, digits, '_').";
                return null;
            }

            apiKey = Environment.GetEnvironmentVariable(env) is { Length: > 0 } fromEnv ? fromEnv : apiKey;
        }
        else if (Trust.SecretBox.IsSealed(apiKey))
        {
            if (openSecret?.Invoke(apiKey!) is not { } opened)
            {
                error = $"'{path}.api_key' is sealed with another exchange's key and cannot be opened here.";
                return null;
            }

            apiKey = opened;
        }

        return new Provider
        {
            Id = Id,
            Kind = kind,
            BaseUrl = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/"),
            ApiKey = apiKey,
            Jurisdiction = Jurisdiction.ToUpperInvariant(),
            City = City,
            Location = location,
            Locode = Locode?.ToUpperInvariant(),
            Models = Models.ToArray(),
            EmbeddingModels = EmbeddingModels?.ToArray() ?? [],
            EmbeddingDimensions = EmbeddingDimensions ?? false,
            NativeApis = NativeApis?.Distinct(StringComparer.Ordinal).ToArray() ?? [],
            Price = price,
            Capacity = Capacity ?? 8,
            FirstByteTimeout = TimeSpan.FromSeconds(TimeoutSeconds ?? 30),
            StreamIdleTimeout = TimeSpan.FromSeconds(StreamIdleSeconds ?? 60),
            TotalTimeout = TimeSpan.FromSeconds(TotalTimeoutSeconds ?? 600),
            Region = Region?.ToUpperInvariant(),
            Ownership = Ownership?.ToUpperInvariant(),
            Attestations = (Attestations ?? []).Select(a => a.Trim().ToLowerInvariant()).ToArray(),
            Contracts = (Contracts ?? []).Select(a => a.Trim().ToLowerInvariant()).ToArray(),
            ReceiptKey = Pin(ReceiptPublicKey) ?? Pin(ReceiptKeyId),
            PriceBounds = PriceBounds is { } b ? new PriceBounds(b.Min ?? 0.5m, b.Max ?? 2m) : Market.PriceBounds.Default,
        };
    }

    public static ProviderSpec From(Provider p) => new()
    {
        Id = p.Id,
        Kind = p.Kind == ProviderKind.Exporter ? "exporter" : "openai",
        BaseUrl = p.BaseUrl.AbsoluteUri.TrimEnd('/'),
        ApiKey = p.ApiKey,
        Jurisdiction = p.Jurisdiction,
        City = p.City,
        Locode = p.Locode,
        Latitude = p.Location?.Latitude,
        Longitude = p.Location?.Longitude,
        Models = p.Models.ToList(),
        EmbeddingModels = p.EmbeddingModels.Count == 0 ? null : p.EmbeddingModels.ToList(),
        EmbeddingDimensions = p.EmbeddingDimensions ? true : null,
        NativeApis = p.NativeApis.Count == 0 ? null : p.NativeApis.ToList(),
        Price = new PriceSpec { Input = p.Price.InputPerMillion, Output = p.Price.OutputPerMillion, Currency = p.Price.Currency, CachedInput = p.Price.CachedInputPerMillion },
        Capacity = p.Capacity,
        TimeoutSeconds = p.FirstByteTimeout.TotalSeconds,
        StreamIdleSeconds = p.StreamIdleTimeout.TotalSeconds,
        TotalTimeoutSeconds = p.TotalTimeout.TotalSeconds,
        Region = p.Region,
        Ownership = p.Ownership,
        Attestations = p.Attestations.Count == 0 ? null : p.Attestations.ToList(),
        Contracts = p.Contracts.Count == 0 ? null : p.Contracts.ToList(),
        ReceiptKeyId = p.ReceiptKey is { } pin && Trust.KeyPin.IsKeyId(pin) ? pin : null,
        ReceiptPublicKey = p.ReceiptKey is { } key && !Trust.KeyPin.IsKeyId(key) ? key : null,
        PriceBounds = p.PriceBounds == Market.PriceBounds.Default ? null : new PriceBoundsSpec { Min = p.PriceBounds.Min, Max = p.PriceBounds.Max },
    };

    /// <summary>A pin as kept: a key id in lower case, a public key as given.</summary>
    private static string? Pin(string? pin) =>
        string.IsNullOrWhiteSpace(pin) ? null : Trust.KeyPin.IsKeyId(pin.Trim()) ? pin.Trim().ToLowerInvariant() : pin.Trim();
}

public sealed record PriceSpec
{
    [JsonPropertyName("input")] public decimal? Input { get; init; }
    [JsonPropertyName("output")] public decimal? Output { get; init; }
    [JsonPropertyName("currency")] public string? Currency { get; init; }

    /// <summary>Per million input tokens the seller read from its prompt cache (at most the input price); absent: the input price.</summary>
    [JsonPropertyName("cached_input")] public decimal? CachedInput { get; init; }

    /// <summary>The price, or null with the wrong part named: "price" (missing or negative amounts)
    /// or "price.currency" (not an ISO 4217 code). The currency defaults to USD.</summary>
    public Price? ToPrice(out string? badField)
    {
        badField = null;
        if (Input is not >= 0 || Output is not >= 0)
        {
            badField = "price";
            return null;
        }

        if (CachedInput is { } cached && (cached < 0 || cached > Input))
        {
            badField = "price.cached_input";
            return null;
        }

        var currency = Currency ?? "USD";
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetter))
        {
            badField = "price.currency";
            return null;
        }

        return new Price(Input.Value, Output.Value, currency.ToUpperInvariant()) { CachedInputPerMillion = CachedInput };
    }
}

public sealed record PriceBoundsSpec
{
    [JsonPropertyName("min")] public decimal? Min { get; init; }
    [JsonPropertyName("max")] public decimal? Max { get; init; }
}
