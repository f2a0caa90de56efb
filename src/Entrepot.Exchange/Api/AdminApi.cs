using System.Text.Json;
using Entrepot.Core.Accounts;
using Entrepot.Core.Market;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>
/// The operator's API under /admin, behind the admin key: sellers (providers), buyer accounts and
/// keys, seller health and the usage log.
/// </summary>
public static class AdminApi
{
    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/admin").AddEndpointFilter(RequireAdminKey);
        admin.MapGet("/providers", ListProviders);
        admin.MapPut("/providers/{id}", PutProvider);
        admin.MapDelete("/providers/{id}", DeleteProvider);
        admin.MapGet("/accounts", ListAccounts);
        admin.MapPost("/accounts", CreateAccount);
        admin.MapPost("/accounts/{id}/keys", IssueKey);
        admin.MapDelete("/keys/{keyId}", RevokeKey);
        admin.MapGet("/usage", RecentUsage);
        admin.MapPost("/reconcile", Reconcile);
        admin.MapGet("/dead-letters", ListDeadLetters);
        admin.MapPost("/dead-letters/replay", ReplayAll);
        admin.MapPost("/dead-letters/{id}/replay", Replay);
        admin.MapPut("/accounts/{id}/budget", (HttpContext ctx, string id) => PutBudget(ctx, "account:" + id));
        admin.MapPut("/keys/{keyId}/budget", (HttpContext ctx, string keyId) => PutBudget(ctx, "key:" + keyId));
        admin.MapPut("/accounts/{id}/limits", (HttpContext ctx, string id) => PutLimits(ctx, "account:" + id));
        admin.MapPut("/keys/{keyId}/limits", (HttpContext ctx, string keyId) => PutLimits(ctx, "key:" + keyId));
        admin.MapDelete("/accounts/{id}/budget", (HttpContext ctx, string id) => DeleteSetting(ctx, Storage.SettingKinds.Budget, "account:" + id, "budget"));
        admin.MapDelete("/keys/{keyId}/budget", (HttpContext ctx, string keyId) => DeleteSetting(ctx, Storage.SettingKinds.Budget, "key:" + keyId, "budget"));
        admin.MapDelete("/accounts/{id}/limits", (HttpContext ctx, string id) => DeleteSetting(ctx, Storage.SettingKinds.Limits, "account:" + id, "rate limits"));
        admin.MapDelete("/keys/{keyId}/limits", (HttpContext ctx, string keyId) => DeleteSetting(ctx, Storage.SettingKinds.Limits, "key:" + keyId, "rate limits"));
        admin.MapPut("/accounts/{id}/diversification", PutDiversification);
        admin.MapGet("/policy", (Border.PolicyRules rules) => Policy(rules, null));
        admin.MapPost("/policy/reload", (Border.PolicyRules rules) =>
        {
            var errors = rules.Reload();
            return errors.Count == 0 ? Policy(rules, null) : Policy(rules, errors.Select(e => e.ToString()).ToList(), 422);
        });
        admin.MapNetworkApi();
        admin.MapDashboardData();
        return app;
    }

    private static async ValueTask<object?> RequireAdminKey(EndpointFilterInvocationContext ic, EndpointFilterDelegate next)
    {
        var ctx = ic.HttpContext;
        var settings = ctx.RequestServices.GetRequiredService<ExchangeSettings>();
        var token = BearerToken.From(ctx.Request);
        if (settings.AdminKeyHash is null)
        {
            return Error(403, "The admin API is disabled: no admin key is configured.", "permission_error", null);
        }

        if (token.IsEmpty || !ApiKeyHash.Matches(token, settings.AdminKeyHash))
        {
            return Error(401, "Missing or invalid admin key.", "authentication_error", null);
        }

        return await next(ic).ConfigureAwait(false);
    }

    /// <summary>Sets a budget for an account or a key, stored so a restart keeps it; what the scope
    /// already spent this period (from the usage log) counts against it.</summary>
    private static async Task<IResult> PutBudget(HttpContext ctx, string scope)
    {
        var body = await ReadJsonAsync(ctx, ExchangeJsonContext.Default.BudgetSpec).ConfigureAwait(false);
        if (body.Error is { } bad)
        {
            return bad;
        }

        var b = body.Value!;
        if (b.Amount is not >= 0)
        {
            return Error(400, "'amount' is required: the limit, at least 0.", "invalid_request_error", "amount");
        }

        var currency = (b.Currency ?? "USD").ToUpperInvariant();
        if (currency.Length != 3 || !currency.All(char.IsAsciiLetter))
        {
            return Error(400, "'currency' must be an ISO 4217 code such as \"USD\".", "invalid_request_error", "currency");
        }

        if (!Core.Budgets.BudgetPeriods.TryParse(b.Period, out var period))
        {
            return Error(400, "'period' must be total, day or month.", "invalid_request_error", "period");
        }

        var controls = ctx.RequestServices.GetRequiredService<Hosting.AccountControls>();
        if (controls.FileOwns(Storage.SettingKinds.Budget, scope))
        {
            return OwnedByFile(controls, $"The budget of {scope}");
        }

        var book = ctx.RequestServices.GetRequiredService<Core.Budgets.IBudgetBook>();
        var stored = controls.Store.Put(Storage.SettingKinds.Budget, scope, Hosting.AccountControls.Serialize(
            new Configuration.BudgetSpec { Amount = b.Amount.Value, Currency = currency, Period = period.ToString().ToLowerInvariant() }));
        if (stored is null)
        {
            return OwnedByFile(controls, $"The budget of {scope}");
        }

        controls.SetBudget(Hosting.AccountControls.ToBudget(stored)!);
        ctx.RequestServices.GetService<Hosting.Cluster>()?.Announce("budgets");
        var (spent, held, limit) = book.Status(scope)!.Value;
        var now = book.For([scope]) is { Count: > 0 } found ? found[0] : null;
        return TypedResults.Json(new BudgetView(scope, limit, now?.Currency ?? currency, (now?.Period ?? period).ToString().ToLowerInvariant(), spent, held), ExchangeJsonContext.Default.BudgetView);
    }

    /// <summary>Sets (or with an empty object, clears) an account's diversification caps.</summary>
    private static async Task<IResult> PutDiversification(HttpContext ctx, string id, Marketplace market, Core.Routing.Diversifier diversifier)
    {
        if (market.Accounts.Find(id) is null)
        {
            return Error(404, $"No account '{id}'.", "invalid_request_error", "id");
        }

        var body = await ReadJsonAsync(ctx, ExchangeJsonContext.Default.DiversificationSpec).ConfigureAwait(false);
        if (body.Error is { } bad)
        {
            return bad;
        }

        var spec = body.Value!;
        var controls = ctx.RequestServices.GetRequiredService<Hosting.AccountControls>();
        if (controls.FileOwns(Storage.SettingKinds.Caps, id))
        {
            return OwnedByFile(controls, $"The diversification caps of account '{id}'");
        }

        if (spec.MaxJurisdictionShare is null && spec.MaxSellerShare is null)
        {
            controls.Store.Delete(Storage.SettingKinds.Caps, id);
        }
        else if (spec.ToPolicy(out var field) is null)
        {
            return Error(400, $"'{field}' is out of range (shares above 0 and at most 1, window_minutes 1-10080, min_tokens >= 0).", "invalid_request_error", field);
        }
        else if (controls.Store.Put(Storage.SettingKinds.Caps, id, JsonSerializer.Serialize(spec, ExchangeJsonContext.Default.DiversificationSpec)) is null)
        {
            return OwnedByFile(controls, $"The diversification caps of account '{id}'");
        }

        controls.Apply(Storage.SettingKinds.Caps);
        Announce(market, "caps");
        return TypedResults.Json(spec, ExchangeJsonContext.Default.DiversificationSpec);
    }

    /// <summary>Removes a budget or limits the admin API set (204), on every node; 409 for the file's, 404 when there is none.</summary>
    private static IResult DeleteSetting(HttpContext ctx, string kind, string scope, string what)
    {
        var controls = ctx.RequestServices.GetRequiredService<Hosting.AccountControls>();
        if (controls.FileOwns(kind, scope))
        {
            return OwnedByFile(controls, $"The {what} of {scope}");
        }

        if (!controls.Store.Delete(kind, scope))
        {
            return Error(404, $"No {what} set for {scope}.", "invalid_request_error", null);
        }

        controls.Apply(kind);
        Announce(ctx.RequestServices.GetRequiredService<Marketplace>(), kind == Storage.SettingKinds.Budget ? "budgets" : "limits");
        return TypedResults.NoContent();
    }

    /// <summary>409: the configuration file defines this; the admin API changes only what it does not.</summary>
    private static IResult OwnedByFile(Hosting.AccountControls controls, string what) =>
        Error(409, $"{what} is defined in {controls.DefinedIn}; change it there (the admin API changes only what the file does not define).",
            "invalid_request_error", null);

    private static async Task<IResult> PutLimits(HttpContext ctx, string scope)
    {
        var body = await ReadJsonAsync(ctx, ExchangeJsonContext.Default.LimitsSpec).ConfigureAwait(false);
        if (body.Error is { } bad)
        {
            return bad;
        }

        var l = body.Value!;
        if (l.RequestsPerMinute is < 0)
        {
            return Error(400, "'requests_per_minute' must be 0 (none) or more.", "invalid_request_error", "requests_per_minute");
        }

        if (l.TokensPerMinute is < 0)
        {
            return Error(400, "'tokens_per_minute' must be 0 (none) or more.", "invalid_request_error", "tokens_per_minute");
        }

        var controls = ctx.RequestServices.GetRequiredService<Hosting.AccountControls>();
        if (controls.FileOwns(Storage.SettingKinds.Limits, scope) ||
            controls.Store.Put(Storage.SettingKinds.Limits, scope, JsonSerializer.Serialize(l, ExchangeJsonContext.Default.LimitsSpec)) is null)
        {
            return OwnedByFile(controls, $"The rate limits of {scope}");
        }

        controls.Apply(Storage.SettingKinds.Limits);
        Announce(ctx.RequestServices.GetRequiredService<Marketplace>(), "limits");
        return TypedResults.Json(l, ExchangeJsonContext.Default.LimitsSpec);
    }

    private static IResult Policy(Border.PolicyRules rules, List<string>? errors, int status = 200)
    {
        var book = rules.Current;
        var view = new PolicyView(rules.RulesDirectory, book.Fingerprint, book.LoadedAt,
            book.Packs.Select(p => new PackView(p.Id, p.Title, p.Law, p.SourceUrl, p.Rules.Count)).ToList(), rules.Changes.ToList(), errors);
        return TypedResults.Json(view, ExchangeJsonContext.Default.PolicyView, statusCode: status);
    }

    private static IResult ListProviders(Marketplace market, Settlement.SellerDisputes disputes) =>
        TypedResults.Json(market.Routes.All.Select(c => Status(c, market) with { Disputes = disputes.Of(c.Provider.Id) }).ToList(), ExchangeJsonContext.Default.ListProviderStatus);

    /// <summary>GET /admin/dead-letters[?after=ID&amp;limit=N]: trades that could not be written, oldest first.</summary>
    private static IResult ListDeadLetters(SqliteDeadLetters letters, long? after, int? limit) =>
        TypedResults.Json(new DeadLetterPage("list", letters.Count(), letters.List(after ?? 0, limit ?? 100)), ExchangeJsonContext.Default.DeadLetterPage);

    /// <summary>POST /admin/dead-letters/{id}/replay: writes a set-aside trade again (once its cause is
    /// fixed); its row goes in the same transaction, or stays if it fails again.</summary>
    private static async Task<IResult> Replay(string id, Settlement.TradeRecorder recorder)
    {
        if (!long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || !await recorder.ReplayAsync(n).ConfigureAwait(false))
        {
            return Error(404, $"No dead letter '{id}' (GET /admin/dead-letters lists them).", "invalid_request_error", "id");
        }

        await recorder.FlushAsync().ConfigureAwait(false);
        return TypedResults.Json(new ReplayView([n]), ExchangeJsonContext.Default.ReplayView, statusCode: 202);
    }

    /// <summary>POST /admin/dead-letters/replay: every set-aside trade (up to 1,000 at a time) written again.</summary>
    private static async Task<IResult> ReplayAll(SqliteDeadLetters letters, Settlement.TradeRecorder recorder)
    {
        var replayed = new List<long>();
        foreach (var d in letters.List(0, 1000))
        {
            if (await recorder.ReplayAsync(d.Id).ConfigureAwait(false))
            {
                replayed.Add(d.Id);
            }
        }

        await recorder.FlushAsync().ConfigureAwait(false);
        return TypedResults.Json(new ReplayView(replayed), ExchangeJsonContext.Default.ReplayView, statusCode: 202);
    }

    private static async Task<IResult> PutProvider(HttpContext ctx, string id, Marketplace market, Storage.IProviderStore store)
    {
        var spec = await ReadJsonAsync(ctx, ExchangeJsonContext.Default.ProviderSpec).ConfigureAwait(false);
        if (spec.Error is { } bad)
        {
            return bad;
        }

        var withId = spec.Value! with { Id = id };
        if (withId.ToProvider(out var error) is null)
        {
            return Error(400, error!, "invalid_request_error", "provider");
        }

        // The upstream's key is never stored in clear: sealed under the exchange's key (every node of a
        // cluster holds it), or not stored at all when it is named by environment variable.
        if (withId.ApiKey is { Length: > 0 } plain && !Core.Trust.SecretBox.IsSealed(plain))
        {
            withId = withId with { ApiKey = ctx.RequestServices.GetRequiredService<Core.Trust.SecretBox>().Seal(plain) };
        }

        if (market.IsConfigured(id))
        {
            return OwnedByFile(ctx.RequestServices.GetRequiredService<Hosting.AccountControls>(), $"Provider '{id}'");
        }

        store.Upsert(withId);
        market.ReloadProviders();
        Announce(market, "providers");
        var candidate = market.Routes.Find(id)!;
        return TypedResults.Json(Status(candidate, market), ExchangeJsonContext.Default.ProviderStatus);
    }

    private static IResult DeleteProvider(string id, Marketplace market, Storage.IProviderStore store, Hosting.AccountControls controls)
    {
        if (market.IsConfigured(id))
        {
            return OwnedByFile(controls, $"Provider '{id}'");
        }

        if (!store.Delete(id))
        {
            return Error(404, $"No provider '{id}' was added through the admin API.", "invalid_request_error", "id");
        }

        market.ReloadProviders();
        Announce(market, "providers");
        return TypedResults.NoContent();
    }

    private static IResult ListAccounts(Storage.IAccountStore accounts) =>
        TypedResults.Json(accounts.List().Select(AccountView.Of).ToList(), ExchangeJsonContext.Default.ListAccountView);

    private static async Task<IResult> CreateAccount(HttpContext ctx, Storage.IAccountStore accounts)
    {
        var body = await ReadJsonAsync(ctx, ExchangeJsonContext.Default.NewAccount).ConfigureAwait(false);
        if (body.Error is { } bad)
        {
            return bad;
        }

        var a = body.Value!;
        if (string.IsNullOrWhiteSpace(a.Id) || a.Id.Length > 64)
        {
            return Error(400, "'id' is required (1-64 characters).", "invalid_request_error", "id");
        }

        var home = a.HomeJurisdiction ?? ctx.RequestServices.GetRequiredService<ExchangeSettings>().Jurisdiction;
        if (!Account.IsJurisdiction(home))
        {
            return Error(400, "'home_jurisdiction' must be an ISO 3166 code such as \"DE\" or \"UA-43\".", "invalid_request_error", "home_jurisdiction");
        }

        var dataClass = Core.Border.DataClass.Public;
        if (a.DefaultDataClass is not null && !Core.Border.DataClasses.TryParseClass(a.DefaultDataClass, out dataClass))
        {
            return Error(400, $"'default_data_class' must be one of {string.Join(", ", Core.Border.DataClasses.All.Select(Core.Border.DataClasses.Name))}.", "invalid_request_error", "default_data_class");
        }

        foreach (var t in a.Attestations ?? [])
        {
            string? why = null;
            if (t is null || t.Length > 256 || Core.Border.Policy.Holding.Parse(t, out why) is null)
            {
                return Error(400, "'attestations' must be a list of names such as \"ru-localised\", optionally scoped (\"cac-security-assessment;for=SG;from=2026-01-01;until=2026-12-31\"): " +
                    (why ?? "an item is empty or over 256 characters") + ".", "invalid_request_error", "attestations");
            }
        }

        if (a.Currency is { } currency && (currency.Length != 3 || !currency.All(char.IsAsciiLetter)))
        {
            return Error(400, "'currency' must be an ISO 4217 code such as \"EUR\".", "invalid_request_error", "currency");
        }

        var controls = ctx.RequestServices.GetRequiredService<Hosting.AccountControls>();
        if (controls.FileDefinesAccount(a.Id))
        {
            return OwnedByFile(controls, $"Account '{a.Id}'");
        }

        var account = new Account(a.Id, a.Name ?? a.Id, home.ToUpperInvariant(), dataClass, (a.Attestations ?? []).Select(t => t.Trim().ToLowerInvariant()).ToArray(),
            (a.Currency ?? "USD").ToUpperInvariant());
        accounts.Upsert(account);
        var market = ctx.RequestServices.GetRequiredService<Marketplace>();
        market.ReloadKeys();
        Announce(market, "keys");
        return TypedResults.Json(AccountView.Of(account), ExchangeJsonContext.Default.AccountView, statusCode: 201);
    }

    private static IResult IssueKey(string id, Storage.IAccountStore accounts, Marketplace market)
    {
        if (accounts.Find(id) is null)
        {
            return Error(404, $"No account '{id}'.", "invalid_request_error", "id");
        }

        var key = ApiKeyHash.NewKey();
        var keyId = "key_" + Guid.CreateVersion7().ToString("N")[..16];
        accounts.AddKey(id, keyId, ApiKeyHash.Compute(key));
        market.ReloadKeys();
        Announce(market, "keys");
        return TypedResults.Json(new IssuedKey(keyId, id, key), ExchangeJsonContext.Default.IssuedKey, statusCode: 201);
    }

    private static IResult RevokeKey(string keyId, Storage.IAccountStore accounts, Marketplace market, Hosting.AccountControls controls)
    {
        if (keyId.StartsWith(Storage.IAccountStore.ConfigKeyPrefix, StringComparison.Ordinal))
        {
            return OwnedByFile(controls, $"Key '{keyId}'");
        }

        if (!accounts.RevokeKey(keyId))
        {
            return Error(404, $"No live key '{keyId}'.", "invalid_request_error", "key_id");
        }

        market.ReloadKeys();
        Announce(market, "keys");
        return TypedResults.NoContent();
    }

    private static IResult RecentUsage(SqliteTradeStore log, int? limit, string? account) =>
        TypedResults.Json(log.Recent(limit ?? 100, account), ExchangeJsonContext.Default.IReadOnlyListUsageRow);

    /// <summary>POST /admin/reconcile[?settle_seconds=N]: one reconciliation pass now, with its report.
    /// Receipts younger than the settle time (60 s by default) are left for a later pass.</summary>
    private static async Task<IResult> Reconcile(Settlement.Reconciler reconciler, HttpContext ctx, CancellationToken ct)
    {
        var settle = Settlement.Reconciler.DefaultSettle;
        if (ctx.Request.Query.TryGetValue("settle_seconds", out var v))
        {
            if (!int.TryParse(v.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds > 86_400)
            {
                return Error(400, "'settle_seconds' must be an integer from 0 to 86400.", "invalid_request_error", "settle_seconds");
            }

            settle = TimeSpan.FromSeconds(seconds);
        }

        var report = await reconciler.RunAsync(settle, ct).ConfigureAwait(false);
        return TypedResults.Json(new ReconcileView(report.Posted, report.AlreadyBilled, report.Rejected, report.Nodes), ExchangeJsonContext.Default.ReconcileView);
    }

    private static ProviderStatus Status(Candidate c, Marketplace market)
    {
        var p = c.Provider;
        return new ProviderStatus(p.Id, p.Kind == ProviderKind.Exporter ? "exporter" : "openai", p.BaseUrl.AbsoluteUri, p.Jurisdiction, p.City, p.Models,
            p.Price.InputPerMillion, p.Price.OutputPerMillion, p.Price.Currency, market.IsConfigured(p.Id) ? "config" : "admin",
            c.Health.Circuit.State.ToString().ToLowerInvariant(), Math.Round(c.EstimatedRoundTripMs, 1),
            c.Health.MeasuredTtfbMs is { } t ? Math.Round(t, 2) : null, c.Health.MeasuredTokensPerSecond is { } tps ? Math.Round(tps, 1) : null,
            c.Health.Successes, c.Health.Failures, market.LocodeOf(p), c.Reachable, c.Path,
            c.SpotPrice.InputPerMillion, c.SpotPrice.OutputPerMillion, Math.Round(c.Load, 3), market.Offers.LastHeartbeat(p.Id), Capacity: p.Capacity);
    }

    private static async Task<(T? Value, IResult? Error)> ReadJsonAsync<T>(HttpContext ctx, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(ctx.Request.Body, type, ctx.RequestAborted).ConfigureAwait(false);
            return value is null ? (null, Error(400, "The request body must be a JSON object.", "invalid_request_error", null)) : (value, null);
        }
        catch (JsonException e)
        {
            return (null, Error(400, $"The request body is not valid: {e.Path}: {e.Message}", "invalid_request_error", e.Path));
        }
    }

    /// <summary>Tells the other nodes of a cluster to reload what this change touched.</summary>
    private static void Announce(Marketplace market, string what) => market.Announce?.Invoke(what);

    internal static IResult Error(int status, string message, string type, string? param) =>
        TypedResults.Text(System.Text.Encoding.UTF8.GetString(Core.Protocol.OpenAIError.ToBytes(message, type, param, null)), "application/json", System.Text.Encoding.UTF8, status);
}
