using Entrepot.Core.Border.Policy;
using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Border;
using Entrepot.Exchange.Hosting;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// Admission, one step for every door: the key, the ledger's availability, the door's translation,
/// the request and its headers, rate limits, the route, the border's decision per seller, and the
/// budget hold. Takes a <see cref="BuyerCall"/> and returns a <see cref="TradePlan"/> or a
/// <see cref="Refusal"/> from the one catalogue; no HTTP types, nothing written to the buyer.
/// </summary>
internal sealed partial class TradeAdmission(
    Marketplace market,
    ExchangeSettings settings,
    IUsageSink usage,
    BorderControl border,
    Core.Budgets.IBudgetBook budgets,
    RateLimits limits,
    Diversifier diversifier,
    ILogger<TradeAdmission> log)
{
    /// <summary>Requests waiting for answered trades' holds to be settled before a 402; at most <see cref="MaxWaitingForHolds"/>.</summary>
    private int _waitingForHolds;
    private const int MaxWaitingForHolds = 32;

    public async ValueTask<Admission> AdmitAsync(BuyerCall call, CancellationToken aborted)
    {
        if (call.Key is not { } key)
        {
            return Refusal.Unauthorized();
        }

        if (usage.Refusal is { } down)
        {
            return Refusal.LedgerUnavailable(down);
        }

        // A door other than chat completions is translated here, at the edge: everything after sees chat.
        Core.Protocol.Doors.DoorTranslation? translation = null;
        if (call.Door != Door.Native)
        {
            translation = Doors.Translate(call.Door, call.Body.Span, call.AnthropicVersion, out var doorError);
            if (translation is null)
            {
                return Refusal.BadRequest(doorError!);
            }
        }

        var chatBody = translation?.ChatBody ?? call.Body;
        var read = BuyerRequest.Read(chatBody.Span, call.Kind, call.ContentType, call.Preferences, call.Subjects, out var error);
        if (read is null)
        {
            return Refusal.BadRequest(error!);
        }

        var request = read.Request;
        if (limits.Any && await limits.AdmitAsync(key.Scopes,
                TokenEstimator.FromUtf8Bytes(request.PromptTextBytes) + (request.MaxTokens ?? settings.HoldMaxTokens)).ConfigureAwait(false) is { } limited)
        {
            return Refusal.RateLimited(limited.Message, limited.RetryAfter);
        }

        var candidates = new List<Candidate>(4);
        var routeFailure = Router.Plan(market.Routes, request.Model, request.Preferences, settings.DefaultSort, candidates, settings.Rates);
        if (routeFailure != RouteFailure.None)
        {
            return Refusal.NoRoute(routeFailure, request.Model);
        }

        if (call.Kind == EndpointKind.Embeddings && EmbeddingSellers(request, candidates) is { } unserved)
        {
            return Refusal.NotEmbedded(unserved);
        }

        var check = border.Inspect(request, key.Account, call.DataClass, out var classError, read.DeclaredSubjects);
        if (check is null)
        {
            return Refusal.BadDataClass(classError!);
        }

        var diversified = diversifier.Any ? diversifier.Apply(key.Account.Id, candidates) : null;
        if (border.CountsOverTheNetwork && check.Book.HasThresholds)
        {
            // The shared subject counts are read with a blocking database call, which must never run on
            // a socket thread (with inline completions it would wait for its own thread to deliver the
            // answer): the rest of this request runs on the thread pool.
            await Task.Yield();
        }

        var allowed = new List<Candidate>(candidates.Count);
        foreach (var c in candidates)
        {
            if (check.Decide(c.Provider.Counterparty).Verdict != Verdict.Deny)
            {
                allowed.Add(c);
            }
        }

        var plan = new TradePlan(call.RequestId, call.Started, key, request, chatBody, check)
        {
            Sellers = allowed,
            Translation = translation,
            Diversified = diversified,
            MaxInput = MaxInput(request, check),
            MaxOutput = request.MaxTokens ?? settings.HoldMaxTokens,
        };

        if (allowed.Count == 0)
        {
            return new Admission(plan, Refusal.AtTheBorder(check, request.Model));
        }

        var api = call.Door switch { Door.Responses => "responses", Door.Messages => "messages", _ => null };
        if (api is not null && allowed.Exists(c => c.Provider.Speaks(api)))
        {
            // The body as sent carries what the translation leaves out (metadata, reasoning, thinking):
            // a native seller gets it only as this check of all of it allows.
            var native = border.Inspect(request.WithContent(Core.Protocol.Doors.DoorBody.Read(call.Body.Span)), key.Account, call.DataClass, out _, read.DeclaredSubjects);
            plan = plan with { DoorApi = api, DoorBody = call.Body, NativeBorder = native };
        }
        else if (api is not null)
        {
            plan = plan with { DoorApi = api };
        }

        return await HoldAsync(plan, allowed, aborted).ConfigureAwait(false);
    }

    /// <summary>The budget hold for the dearest seller left, in the budgets' currency; the plan unchanged when no budget covers the key.</summary>
    private async ValueTask<Admission> HoldAsync(TradePlan plan, List<Candidate> allowed, CancellationToken aborted)
    {
        var scopes = plan.Key.Scopes;
        var covering = budgets.For(scopes);
        if (covering.Count == 0)
        {
            return new Admission(plan, null);
        }

        // Sellers priced in the budgets' currency are held as priced; others only when the rate
        // table converts their price into it (budgets in scope must then share one currency).
        var currency = covering[0].Currency;
        var rates = covering.All(b => b.Currency == currency) ? settings.Rates : null;
        allowed.RemoveAll(c => !string.Equals(c.SpotPrice.Currency, currency, StringComparison.Ordinal)
            && (rates is null || !rates.CanConvert(c.SpotPrice.Currency, currency) || covering.Any(b => b.Currency != currency)));
        if (allowed.Count == 0)
        {
            return Refusal.OverBudget($"No seller of '{plan.Request.Model}' prices in your budget's currency ({currency}).");
        }

        var maxCost = allowed.Max(c => InHoldCurrency(MaxCost(c.SpotPrice, plan), c.SpotPrice.Currency, currency));
        try
        {
            var (hold, refusal) = await budgets.TryHoldAsync(scopes, maxCost).ConfigureAwait(false);
            if (hold is null && Interlocked.Increment(ref _waitingForHolds) <= MaxWaitingForHolds)
            {
                try
                {
                    // Answered trades are settled by the recorder a few milliseconds later, and until
                    // then their holds count in full: when only holds stand in the way, wait for them
                    // a little before refusing (only on this path, and only so many requests at once;
                    // up to 3 s, since another node's recorder may be that slow on a loaded host).
                    for (var waited = 0; hold is null && waited < 3000 && await OnlyHoldsInTheWayAsync(scopes, maxCost).ConfigureAwait(false); waited += 10)
                    {
                        await Task.Delay(10, aborted).ConfigureAwait(false);
                        (hold, refusal) = await budgets.TryHoldAsync(scopes, maxCost).ConfigureAwait(false);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref _waitingForHolds);
                }
            }
            else if (hold is null)
            {
                Interlocked.Decrement(ref _waitingForHolds);
            }

            return hold is null ? Refusal.OverBudget(refusal!) : new Admission(plan with { Sellers = allowed, Hold = hold, HoldCurrency = currency }, null);
        }
        catch (Core.Budgets.BudgetStoreUnavailableException e)
        {
            LogBudgetStoreDown(log, e.InnerException?.Message ?? e.Message);
            return Refusal.BudgetStoreUnavailable(e.Message);
        }
    }

    /// <summary>Keeps the sellers that serve the model on /v1/embeddings (and take <c>dimensions</c>
    /// when asked); the refusal when none does.</summary>
    private static RequestError? EmbeddingSellers(InferenceRequest request, List<Candidate> candidates)
    {
        candidates.RemoveAll(c => !c.Provider.ServesEmbeddings(request.Model));
        if (candidates.Count == 0)
        {
            return new RequestError($"No seller serves '{request.Model}' for embeddings (GET /v1/models lists each model's offers).", "model", "model_not_found");
        }

        if (request.Dimensions is not null)
        {
            candidates.RemoveAll(c => !c.Provider.EmbeddingDimensions);
            if (candidates.Count == 0)
            {
                return new RequestError($"No seller of '{request.Model}' offers shortened vectors: leave out 'dimensions'.", "dimensions", "dimensions_not_supported");
            }
        }

        return null;
    }

    /// <summary>The most input tokens a request can be billed: its prompt bytes (a token is at least a
    /// byte) plus a chat template's tokens (8 a message and 256 more). A claim beyond it is absurd.</summary>
    public static long MaxInput(InferenceRequest request, BorderCheck check) => request.PromptTextBytes + 256 + (8L * check.Prompt.Messages.Count);

    /// <summary>The most a request can cost at a seller, fee included (its bounds at the price, rounded up as the ledger's fee is).</summary>
    private decimal MaxCost(Core.Market.Price price, TradePlan plan) =>
        Core.Ledger.LedgerEntry.BuyerDebit(price.CostOf(plan.MaxInput, plan.MaxOutput), settings.FeePercent);

    /// <summary>Whether the request would fit every covering budget but for what is held on them now.</summary>
    private async ValueTask<bool> OnlyHoldsInTheWayAsync(IReadOnlyList<string> scopes, decimal amount)
    {
        var blocked = false;
        foreach (var scope in scopes)
        {
            (decimal Spent, decimal Held, decimal Limit)? status;
            try
            {
                status = await budgets.StatusAsync(scope).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                return false;
            }

            if (status is not { } s)
            {
                continue;
            }

            if (s.Limit - s.Spent < amount)
            {
                return false;
            }

            blocked |= s.Limit - s.Spent - s.Held < amount;
        }

        return blocked;
    }

    /// <summary>An amount in a seller's currency as the budget sees it.</summary>
    private decimal InHoldCurrency(decimal amount, string from, string to) =>
        from == to ? amount : settings.Rates!.TryConvert(amount, from, to, out var converted) ? converted : throw new InvalidOperationException($"no rate from {from} to {to}");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget hold refused: {Error}")]
    private static partial void LogBudgetStoreDown(ILogger logger, string error);
}
