using System.Text.Json.Serialization;

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
    [property: JsonPropertyName("currency")] string Currency);

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
    [property: JsonPropertyName("failures")] long Failures);

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
