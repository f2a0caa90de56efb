using System.Text.Json.Serialization;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Exchange.Api;

public sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data);

/// <summary>An OpenAI model object plus where it is sold and at what price range.</summary>
public sealed record ModelEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("providers")] IReadOnlyList<ModelOffer> Providers);

public sealed record ModelOffer(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("city")] string? City,
    [property: JsonPropertyName("input_price")] decimal InputPrice,
    [property: JsonPropertyName("output_price")] decimal OutputPrice,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("posted_input_price")] decimal PostedInputPrice,
    [property: JsonPropertyName("posted_output_price")] decimal PostedOutputPrice,
    [property: JsonPropertyName("load")] double Load)
{
    /// <summary>The seller also serves this model on /v1/embeddings.</summary>
    [JsonPropertyName("embeddings")] public bool Embeddings { get; init; }

    /// <summary>The doors besides chat completions the seller speaks natively.</summary>
    [JsonPropertyName("native_apis")] public IReadOnlyList<string> NativeApis { get; init; } = [];
}

public sealed record NewAccount(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("home_jurisdiction")] string? HomeJurisdiction,
    [property: JsonPropertyName("default_data_class")] string? DefaultDataClass = null,
    [property: JsonPropertyName("attestations")] List<string>? Attestations = null,
    [property: JsonPropertyName("currency")] string? Currency = null);

public sealed record AccountView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("home_jurisdiction")] string HomeJurisdiction,
    [property: JsonPropertyName("default_data_class")] string DefaultDataClass = "public",
    [property: JsonPropertyName("attestations")] IReadOnlyList<string>? Attestations = null,
    [property: JsonPropertyName("currency")] string Currency = "USD")
{
    public static AccountView Of(Core.Accounts.Account a) =>
        new(a.Id, a.Name, a.HomeJurisdiction, Core.Border.DataClasses.Name(a.DefaultDataClass), a.Attestations ?? [], a.Currency);
}

public sealed record IssuedKey(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("account_id")] string AccountId,
    [property: JsonPropertyName("key")] string Key);

public sealed record ProviderStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("base_url")] string BaseUrl,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("city")] string? City,
    [property: JsonPropertyName("models")] IReadOnlyList<string> Models,
    [property: JsonPropertyName("input_price")] decimal InputPrice,
    [property: JsonPropertyName("output_price")] decimal OutputPrice,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("circuit")] string Circuit,
    [property: JsonPropertyName("estimated_rtt_ms")] double EstimatedRttMs,
    [property: JsonPropertyName("measured_ttfb_ms")] double? MeasuredTtfbMs,
    [property: JsonPropertyName("measured_tokens_per_second")] double? MeasuredTokensPerSecond,
    [property: JsonPropertyName("successes")] long Successes,
    [property: JsonPropertyName("failures")] long Failures,
    [property: JsonPropertyName("locode")] string? Locode,
    [property: JsonPropertyName("reachable")] bool Reachable,
    [property: JsonPropertyName("path")] IReadOnlyList<string>? Path,
    [property: JsonPropertyName("spot_input_price")] decimal SpotInputPrice,
    [property: JsonPropertyName("spot_output_price")] decimal SpotOutputPrice,
    [property: JsonPropertyName("load")] double Load,
    [property: JsonPropertyName("last_heartbeat")] DateTimeOffset? LastHeartbeat,
    [property: JsonPropertyName("disputes")] Settlement.DisputeRecord? Disputes = null,
    [property: JsonPropertyName("capacity")] int? Capacity = null);

/// <summary>GET /admin/dead-letters: trades set aside because they could not be written.</summary>
public sealed record DeadLetterPage(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("pending")] long Pending,
    [property: JsonPropertyName("data")] IReadOnlyList<DeadLetter> Data);

public sealed record ReplayView(
    [property: JsonPropertyName("replayed")] IReadOnlyList<long> Replayed);

public sealed record HealthReport(
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("providers")] int Providers,
    [property: JsonPropertyName("models")] int Models);

public sealed record DeclarationPage(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] List<DeclarationView> Data,
    [property: JsonPropertyName("next_after"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? NextAfter);

public sealed record DeclarationView(
    [property: JsonPropertyName("seq")] long Seq,
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("account_id")] string AccountId,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("destination"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Destination,
    [property: JsonPropertyName("provider_id"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? ProviderId,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("data_class")] string DataClass,
    [property: JsonPropertyName("categories")] string Categories,
    [property: JsonPropertyName("detected")] string Detected,
    [property: JsonPropertyName("verdict")] string Verdict,
    [property: JsonPropertyName("rules")] string Rules,
    [property: JsonPropertyName("redactions")] int Redactions,
    [property: JsonPropertyName("input_tokens")] long InputTokens,
    [property: JsonPropertyName("output_tokens")] long OutputTokens,
    [property: JsonPropertyName("value")] decimal Value,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("rulebook")] string RuleBook)
{
    public static DeclarationView Of(Core.Border.Declaration d) => new(d.Seq, d.RequestId, d.Timestamp, d.AccountId, d.Origin, d.Destination,
        d.ProviderId, d.Model, d.DataClass, d.Categories, d.Detected, d.Verdict, d.Rules, d.Redactions, d.InputTokens, d.OutputTokens, d.Value, d.Currency, d.RuleBook);
}

public sealed record PolicyView(
    [property: JsonPropertyName("rules_dir")] string? RulesDir,
    [property: JsonPropertyName("fingerprint")] string Fingerprint,
    [property: JsonPropertyName("loaded_at")] DateTimeOffset LoadedAt,
    [property: JsonPropertyName("packs")] List<PackView> Packs,
    [property: JsonPropertyName("changes")] List<Border.RegulatoryChange> Changes,
    [property: JsonPropertyName("errors")] List<string>? Errors = null);

public sealed record PackView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("title")] string Title,
    [property: JsonPropertyName("law")] string Law,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("rules")] int Rules);

public sealed record KeySetView([property: JsonPropertyName("keys")] List<KeyView> Keys);

public sealed record KeyView(
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("public_key")] string PublicKey,
    [property: JsonPropertyName("signer")] string Signer,
    [property: JsonPropertyName("use")] string Use);

public sealed record BudgetView(
    [property: JsonPropertyName("scope")] string Scope,
    [property: JsonPropertyName("limit")] decimal Limit,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("spent")] decimal Spent,
    [property: JsonPropertyName("held")] decimal Held);

/// <summary>POST /admin/reconcile: what one pass posted, found already billed, or rejected.</summary>
public sealed record ReconcileView(
    [property: JsonPropertyName("posted")] int Posted,
    [property: JsonPropertyName("already_billed")] int AlreadyBilled,
    [property: JsonPropertyName("rejected")] int Rejected,
    [property: JsonPropertyName("nodes")] IReadOnlyList<Settlement.NodeReconciliation> Nodes);

public sealed record CableCut([property: JsonPropertyName("cable")] string? Cable);

public sealed record NetworkView(
    [property: JsonPropertyName("exchange")] string? Exchange,
    [property: JsonPropertyName("cut")] IReadOnlyList<string> Cut,
    [property: JsonPropertyName("locations")] IReadOnlyList<LocationView> Locations,
    [property: JsonPropertyName("cables")] IReadOnlyList<CableView> Cables,
    [property: JsonPropertyName("land_links")] IReadOnlyList<string[]> LandLinks,
    [property: JsonPropertyName("sellers")] IReadOnlyList<SellerPath> Sellers);

public sealed record LocationView(
    [property: JsonPropertyName("locode")] string Locode,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("country")] string Country,
    [property: JsonPropertyName("latitude")] double Latitude,
    [property: JsonPropertyName("longitude")] double Longitude,
    [property: JsonPropertyName("inference")] bool Inference);

public sealed record CableView(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("length_km")] double LengthKm,
    [property: JsonPropertyName("ready_for_service")] int ReadyForService,
    [property: JsonPropertyName("cut")] bool Cut,
    [property: JsonPropertyName("segments")] IReadOnlyList<string[]> Segments,
    [property: JsonPropertyName("source")] string Source);

public sealed record SellerPath(
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("locode")] string? Locode,
    [property: JsonPropertyName("reachable")] bool Reachable,
    [property: JsonPropertyName("estimated_rtt_ms")] double? EstimatedRttMs,
    [property: JsonPropertyName("path")] IReadOnlyList<string>? Path,
    [property: JsonPropertyName("measured_ttfb_ms")] double? MeasuredTtfbMs);

/// <summary>The answer of <c>entrepot network rtt --json</c> and GET /admin/network/rtt.</summary>
public sealed record RttView(
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("reachable")] bool Reachable,
    [property: JsonPropertyName("rtt_ms")] double? RttMs,
    [property: JsonPropertyName("km")] double? Km,
    [property: JsonPropertyName("path")] IReadOnlyList<string> Path,
    [property: JsonPropertyName("cables")] IReadOnlyList<string> Cables)
{
    public static RttView Of(string from, string to, Core.Network.NetworkRoute? route) => route is null
        ? new RttView(from, to, false, null, null, [], [])
        : new RttView(from, to, true, Math.Round(route.RoundTripMs, 1), Math.Round(route.Km), route.Path, route.Cables);
}

public sealed record HeartbeatAck(
    [property: JsonPropertyName("accepted")] bool Accepted,
    [property: JsonPropertyName("node_id")] string NodeId,
    [property: JsonPropertyName("spot_input_price")] decimal SpotInputPrice,
    [property: JsonPropertyName("spot_output_price")] decimal SpotOutputPrice,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("spot_multiplier")] decimal SpotMultiplier,
    [property: JsonPropertyName("expires_at")] DateTimeOffset ExpiresAt,
    [property: JsonPropertyName("models")] IReadOnlyList<string>? Models = null,
    [property: JsonPropertyName("ignored_models")] IReadOnlyList<string>? IgnoredModels = null,
    [property: JsonPropertyName("capacity")] int? Capacity = null);

public sealed record PriceIndexView(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("interval")] string Interval,
    [property: JsonPropertyName("unit")] string Unit,
    [property: JsonPropertyName("data")] List<PriceIndexPoint> Data);

public sealed record DashboardView(
    [property: JsonPropertyName("generated_at")] DateTimeOffset GeneratedAt,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("city")] string? City,
    [property: JsonPropertyName("locode")] string? Locode,
    [property: JsonPropertyName("network")] NetworkView Network,
    [property: JsonPropertyName("sellers")] List<DashboardSeller> Sellers,
    [property: JsonPropertyName("flows")] List<DashboardFlow> Flows,
    [property: JsonPropertyName("price_index")] List<PriceIndexPoint> PriceIndex,
    [property: JsonPropertyName("compliance")] List<DashboardDecision> Compliance,
    [property: JsonPropertyName("ledger")] Hosting.LedgerHealth Ledger,
    [property: JsonPropertyName("health")] DashboardHealth Health);

public sealed record DashboardSeller(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("jurisdiction")] string Jurisdiction,
    [property: JsonPropertyName("city")] string? City,
    [property: JsonPropertyName("locode")] string? Locode,
    [property: JsonPropertyName("in_market")] bool InMarket,
    [property: JsonPropertyName("reachable")] bool Reachable,
    [property: JsonPropertyName("circuit")] string Circuit,
    [property: JsonPropertyName("estimated_rtt_ms")] double? EstimatedRttMs,
    [property: JsonPropertyName("measured_ttfb_ms")] double? MeasuredTtfbMs,
    [property: JsonPropertyName("load")] double Load,
    [property: JsonPropertyName("posted_input_price")] decimal PostedInputPrice,
    [property: JsonPropertyName("posted_output_price")] decimal PostedOutputPrice,
    [property: JsonPropertyName("spot_input_price")] decimal SpotInputPrice,
    [property: JsonPropertyName("spot_output_price")] decimal SpotOutputPrice,
    [property: JsonPropertyName("currency")] string Currency,
    [property: JsonPropertyName("last_heartbeat")] DateTimeOffset? LastHeartbeat,
    [property: JsonPropertyName("path")] IReadOnlyList<string>? Path,
    [property: JsonPropertyName("disputes")] Settlement.DisputeRecord? Disputes = null);

public sealed record DashboardFlow(
    [property: JsonPropertyName("request_id")] string RequestId,
    [property: JsonPropertyName("timestamp")] string Timestamp,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("destination")] string? Destination,
    [property: JsonPropertyName("tokens")] long Tokens,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("value")] decimal Value,
    [property: JsonPropertyName("currency")] string Currency);

public sealed record DashboardDecision(
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("origin")] string Origin,
    [property: JsonPropertyName("destination")] string? Destination,
    [property: JsonPropertyName("provider")] string? Provider,
    [property: JsonPropertyName("data_class")] string DataClass,
    [property: JsonPropertyName("verdict")] string Verdict,
    [property: JsonPropertyName("rules")] string Rules,
    [property: JsonPropertyName("redactions")] int Redactions);

public sealed record DashboardHealth(
    [property: JsonPropertyName("sellers")] int Sellers,
    [property: JsonPropertyName("in_market")] int InMarket,
    [property: JsonPropertyName("reachable")] int Reachable,
    [property: JsonPropertyName("open_circuits")] int OpenCircuits,
    [property: JsonPropertyName("models")] int Models,
    [property: JsonPropertyName("cables_cut")] int CablesCut);
