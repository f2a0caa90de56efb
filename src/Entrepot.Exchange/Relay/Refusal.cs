using System.Globalization;
using Entrepot.Core.Border;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Border;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// The one catalogue of ways a request is turned away instead of answered by a seller: the status,
/// the message, the error's type, parameter and code, and what else the answer carries (Retry-After,
/// the border's policy header). Plain values; the door writes them in its own error shape.
/// </summary>
internal sealed record Refusal(int Status, string Message, string Type, string? Param, string? Code)
{
    /// <summary>The outcome counted in the request metrics when the refusal is not recorded as a trade.</summary>
    public string? Metric { get; init; }
    public int? RetryAfter { get; init; }

    /// <summary>The Entrepot-Policy header of a refusal at the border.</summary>
    public string? Policy { get; init; }

    /// <summary>The declaration of a refusal at the border (the request went nowhere, and that is declared).</summary>
    public Core.Metering.BorderRecord? Declaration { get; init; }

    public static Refusal Unauthorized() => new(401,
        "Missing or invalid API key. Send it as 'Authorization: Bearer <key>' (or 'x-api-key: <key>').", "authentication_error", null, "invalid_api_key") { Metric = "unauthorized" };

    /// <summary>A trade that cannot be billed is not made; nothing already answered is lost.</summary>
    public static Refusal LedgerUnavailable(string why) => new(503, why, "server_error", null, "ledger_unavailable") { Metric = "ledger_unavailable" };

    public static Refusal TooLarge(int max) => new(413, $"The request body exceeds {max} bytes.", "invalid_request_error", null, "request_too_large") { Metric = "rejected" };

    public static Refusal BadRequest(RequestError e) => new(400, e.Message, e.Type, e.Param, e.Code) { Metric = "rejected" };

    public static Refusal RateLimited(string message, int retryAfter) =>
        new(429, message, "rate_limit_error", null, "rate_limit_exceeded") { Metric = "rate_limited", RetryAfter = retryAfter };

    public static Refusal NoRoute(RouteFailure failure, string model) => (failure switch
    {
        RouteFailure.UnknownModel => new Refusal(404, $"The model '{model}' is not offered by any seller on this exchange. GET /v1/models lists what is.",
            "invalid_request_error", "model", "model_not_found"),
        RouteFailure.Unreachable => new Refusal(503, $"Every seller of '{model}' is cut off: no cable path to them is in service. GET /admin/network shows the faults.",
            "server_error", null, "no_network_path"),
        _ => new Refusal(404, $"No seller of '{model}' matches the request's provider preferences (only, ignore, jurisdictions, max_price).",
            "invalid_request_error", "provider", "no_eligible_provider"),
    }) with { Metric = "rejected" };

    public static Refusal NotEmbedded(RequestError e) =>
        new(e.Param == "dimensions" ? 400 : 404, e.Message, e.Type, e.Param, e.Code) { Metric = "rejected" };

    public static Refusal BadDataClass(string why) => new(400, $"The {BorderControl.DataClassHeader} header is not understood: {why}.",
        "invalid_request_error", BorderControl.DataClassHeader, "invalid_data_class") { Metric = "rejected" };

    /// <summary>451: every candidate was denied; the request went nowhere (recorded and declared as a trade).</summary>
    public static Refusal AtTheBorder(BorderCheck check, string model)
    {
        var rules = string.Join(",", check.Decisions.SelectMany(d => d.Deciding).Select(r => r.Rule.Id).Distinct());
        var dataClass = check.Inspection.Profile.Effective.Name();
        return new(451, check.DenialMessage(model), "invalid_request_error", null, "unavailable_for_legal_reasons")
        {
            Policy = "verdict=deny; class=" + dataClass + "; rules=" + rules,
            Declaration = new Core.Metering.BorderRecord(dataClass, check.CategoriesSummary(), check.DetectedSummary(), "deny", rules, 0, check.Book.Fingerprint),
        };
    }

    public static Refusal OverBudget(string message) => new(402, message, "insufficient_quota", null, "budget_exceeded") { Metric = "budget_refused" };

    /// <summary>A shared budget store that cannot be asked is never guessed at: no hold, no request.</summary>
    public static Refusal BudgetStoreUnavailable(string message) => new(503, message, "server_error", null, "budget_store_unavailable") { Metric = "budget_unavailable" };

    /// <summary>504: the request's total deadline passed before any seller's answer reached the buyer.</summary>
    public static Refusal DeadlinePassed(string model, TimeSpan limit, int tried) =>
        new(504, $"No seller of '{model}' answered within the request's deadline ({limit.TotalSeconds:0} s, {tried} tried).", "api_error", null, "deadline_exceeded");

    public static Refusal SellersAtCapacity(string model, int tried, int retryAfter) =>
        new(429, $"Every seller of '{model}' is at capacity ({tried} tried). Retry after the time in Retry-After.", "rate_limit_error", null, "sellers_at_capacity") { RetryAfter = retryAfter };

    public static Refusal NoSellerAnswered(string model, int tried) =>
        new(502, $"No seller of '{model}' could answer ({tried} tried, none reachable or all failing).", "api_error", null, "upstream_unavailable");

    /// <summary>Writes the refusal on a response that has not started, in the door's error shape.</summary>
    public Task WriteAsync(HttpContext ctx)
    {
        if (RetryAfter is { } seconds)
        {
            ctx.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (Policy is not null)
        {
            ctx.Response.Headers["Entrepot-Policy"] = Policy;
        }

        return HttpErrors.WriteAsync(ctx, Status, Message, Type, Param, Code);
    }
}
