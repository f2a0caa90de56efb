using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Metering;

/// <summary>
/// Turns what the relay saw of a request into what is stored and billed: the exchange's own token
/// count (the model's counter), the settled tokens and cost at the quote (<see cref="ReceiptCheck"/>),
/// the countersigned receipt of an exporter's trade and the ledger post. Runs on the trade
/// recorder's thread, never on the request path; never throws.
/// </summary>
public sealed class Settlement(TokenCounters counters, SigningKey exchangeKey, string exchangeId, decimal feePercent)
{
    public string ExchangeId => exchangeId;

    public SettledTrade Settle(UsageRecord r)
    {
        var outcome = OutcomeNames.Of(r.Outcome);
        if (r.Receipt is not { } evidence || r.ProviderId is null)
        {
            return Row(r, outcome) with { Currency = r.Currency };
        }

        if (!evidence.Reconciled)
        {
            evidence = Count(r, evidence);
        }

        var check = ReceiptCheck.Settle(evidence, exchangeKey, exchangeId);
        var post = LedgerPost.ForTrade(r.RequestId, check.Currency, evidence.Buyer, evidence.SellerId, check.Cost, feePercent);
        var stored = check.Document is not null;
        return Row(r, outcome) with
        {
            InputTokens = check.InputTokens,
            OutputTokens = check.OutputTokens,
            Cost = check.Cost,
            Currency = check.Currency,
            Receipt = stored ? "stored" : "exchange-only",
            ReceiptDocument = stored ? System.Text.Encoding.UTF8.GetString(CanonicalJson.Serialize(check.Document)) : null,
            ReceiptKind = stored ? (string?)check.Document!["receipt"]!["kind"] : "exchange-only",
            SellerVerified = check.SellerVerified,
            Attempt = evidence.Attempt,
            RequestSha256 = evidence.RequestSha256,
            ResponseSha256 = evidence.ResponseSha256,
            ClaimedInput = evidence.ClaimedInput,
            ClaimedOutput = evidence.ClaimedOutput,
            CountedInput = evidence.CountedInput,
            CountedOutput = evidence.CountedOutput,
            Counter = evidence.Counter,
            TolerancePercent = evidence.Tolerance.Percent,
            ToleranceTokens = evidence.Tolerance.Allowance,
            PriceInput = evidence.InputPrice,
            PriceOutput = evidence.OutputPrice,
            Flags = string.Join(",", check.Flags),
            Post = post,
            Reconciled = evidence.Reconciled,
        };
    }

    /// <summary>The exchange's own count, with the model's counter; the estimate if that counter fails.</summary>
    private ReceiptEvidence Count(UsageRecord r, ReceiptEvidence e)
    {
        var prompt = r.Prompt ?? Protocol.PromptContent.Empty;
        var completion = r.Completion ?? "";
        var counter = counters.For(r.Model);
        long input, output;
        try
        {
            input = counter.CountPrompt(prompt);
            output = counter.Exact || !r.Stream || r.ContentEvents == 0 ? counter.CountCompletion(prompt, completion) : r.ContentEvents;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            counter = EstimatingTokenCounter.Instance;
            input = counter.CountPrompt(prompt);
            output = r.Stream && r.ContentEvents > 0 ? r.ContentEvents : counter.CountCompletion(prompt, completion);
        }

        return e with { CountedInput = input, CountedOutput = output, Tolerance = Tolerance.For(counter.Exact), Counter = counter.Description };
    }

    private static SettledTrade Row(UsageRecord r, string outcome) => new()
    {
        RequestId = r.RequestId,
        Timestamp = r.Timestamp,
        AccountId = r.AccountId,
        KeyId = r.KeyId,
        Model = r.Model,
        ProviderId = r.ProviderId,
        Origin = r.OriginJurisdiction,
        Destination = r.DestinationJurisdiction,
        InputTokens = r.InputTokens,
        OutputTokens = r.OutputTokens,
        UsageEstimated = r.UsageEstimated,
        Outcome = outcome,
        StatusCode = r.StatusCode,
        Attempts = r.Attempts,
        Stream = r.Stream,
        LatencyMs = r.LatencyMs,
        OverheadUs = r.OverheadUs,
        Border = r.Border,
    };
}

/// <summary>How outcomes are named in the usage log and metrics.</summary>
public static class OutcomeNames
{
    public static string Of(Outcome o) => o switch
    {
        Outcome.Completed => "completed",
        Outcome.Rejected => "rejected",
        Outcome.UpstreamFailed => "upstream_failed",
        Outcome.Interrupted => "interrupted",
        Outcome.ClientCancelled => "client_cancelled",
        Outcome.SellerRejected => "seller_rejected",
        Outcome.Refused => "refused",
        Outcome.Reconciled => "reconciled",
        _ => o.ToString(),
    };
}
