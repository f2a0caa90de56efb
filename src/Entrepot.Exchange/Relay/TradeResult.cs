using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Border;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// One trade as it ended, immutable: the plan, the seller that answered (or none), the border's
/// decision for it and what it was sent, the hashes, the usage and the outcome. The record the trade
/// recorder settles (the usage row, the declaration and the evidence for the receipt) is made from it
/// in one place.
/// </summary>
internal sealed record TradeResult(TradePlan Plan, BorderCheck Border)
{
    public Candidate? Candidate { get; init; }
    public CandidateDecision? Decision { get; init; }
    public Masking Masking { get; init; }
    public int Attempts { get; init; }
    public int Status { get; init; }
    public Outcome Outcome { get; init; }
    public TokenUsage Usage { get; init; }
    public double OverheadUs { get; init; }
    public BorderRecord? Refusal { get; init; }
    public string? RequestSha256 { get; init; }
    public string? ResponseSha256 { get; init; }
    public string? BuyerResponseSha256 { get; init; }
    public string? SellerReceipt { get; init; }
    public string? BuyerAlias { get; init; }
    public string? Completion { get; init; }
    public long ContentEvents { get; init; }

    private string RequestId => Plan.RequestId;
    private Core.Accounts.ApiKeyEntry Key => Plan.Key;
    private InferenceRequest Request => Plan.Request;
    private Core.Budgets.BudgetHold? Hold => Plan.Hold;

    /// <summary>In a declaration's rules: the account's written opt-out let credentials go in clear.</summary>
    public const string SecretsInClearMark = "account:secrets-in-clear";

    /// <summary>The request's data reached a seller (answered, cut off, or with the buyer gone mid-answer).</summary>
    public bool Crossed => Candidate is not null && Decision is not null && Outcome is Outcome.Completed or Outcome.Interrupted or Outcome.ClientCancelled;

    /// <summary>Something was delivered: the trade is billed and has a receipt.</summary>
    public bool Delivered => Candidate is not null && Outcome is Outcome.Completed or Outcome.Interrupted;

    /// <summary>The declaration of a trade across a border, or of one that needed the border's work
    /// (redaction, secrets in clear, unscanned content); the refusal's, when it was refused; else none.</summary>
    public BorderRecord? Declaration()
    {
        if (!Crossed)
        {
            return Refusal;
        }

        var c = Candidate!;
        var decision = Decision!;
        var b = Border;
        var origin = Key.Account.HomeJurisdiction;
        var destination = c.Provider.Region ?? c.Provider.Jurisdiction;
        if (string.Equals(origin[..2], destination[..2], StringComparison.Ordinal) && decision.Verdict == Verdict.Allow
            && Masking == Masking.None && !b.SecretsSentInClear && b.Inspection.Profile.Unscanned == 0)
        {
            return null;
        }

        // The rules that decided, and the account's written choice when credentials went in clear.
        var rules = decision.Deciding.Select(r => r.Rule.Id);
        if (b.SecretsSentInClear)
        {
            rules = rules.Append(SecretsInClearMark);
        }

        return new BorderRecord(b.Inspection.Profile.Effective.Name(), b.CategoriesSummary(), b.DetectedSummary(), decision.Verdict.Name(),
            string.Join(",", rules), b.Redactions(Masking), b.Book.Fingerprint);
    }

    /// <summary>The record the trade recorder settles: it counts the tokens itself, settles at the quote,
    /// checks and countersigns a seller's receipt, charges the hold and writes the row and the ledger entry.</summary>
    public UsageRecord ToRecord(DateTimeOffset now, TimeSpan elapsed)
    {
        var c = Candidate;
        var u = Usage;
        var delivered = Delivered;
        return new UsageRecord
        {
            RequestId = RequestId,
            Timestamp = now,
            AccountId = Key.Account.Id,
            KeyId = Key.KeyId,
            Model = Request.Model,
            ProviderId = c?.Provider.Id,
            OriginJurisdiction = Key.Account.HomeJurisdiction,
            DestinationJurisdiction = c is null ? null : c.Provider.Region ?? c.Provider.Jurisdiction,
            InputTokens = u.InputTokens,
            OutputTokens = u.OutputTokens,
            UsageEstimated = u.Estimated,
            Currency = c?.SpotPrice.Currency ?? "USD",
            Outcome = Outcome,
            StatusCode = Status,
            Attempts = Attempts,
            Stream = Request.Stream,
            LatencyMs = elapsed.TotalMilliseconds,
            OverheadUs = OverheadUs,
            Border = Declaration(),
            Prompt = delivered ? Border.Prompt : null,
            Completion = delivered ? Completion : null,
            ContentEvents = ContentEvents,
            Hold = delivered ? Hold : null,
            HoldCurrency = Plan.HoldCurrency,
            Receipt = !delivered ? null : new Core.Trust.ReceiptEvidence
            {
                RequestId = RequestId,
                Attempt = Attempts,
                Buyer = Key.Account.Id,
                BuyerAlias = BuyerAlias,
                SellerId = c!.Provider.Id,
                SellerIsExporter = c.Provider.Kind == Core.Market.ProviderKind.Exporter,
                Model = Request.Model,
                ClaimedInput = u.Estimated ? null : u.InputTokens,
                ClaimedOutput = u.Estimated ? null : u.OutputTokens,
                ClaimedCached = u.Estimated ? 0 : u.CachedTokens,
                ClaimedReasoning = u.Estimated ? 0 : u.ReasoningTokens,
                MaxInput = Plan.MaxInput,
                MaxOutput = Plan.MaxOutput,
                InputPrice = c.SpotPrice.InputPerMillion,
                OutputPrice = c.SpotPrice.OutputPerMillion,
                CachedInputPrice = c.SpotPrice.CachedInputPerMillion,
                Currency = c.SpotPrice.Currency,
                Started = now - elapsed,
                Finished = now,
                RequestSha256 = RequestSha256 ?? "",
                ResponseSha256 = ResponseSha256 ?? "",
                BuyerResponseSha256 = BuyerResponseSha256,
                SellerReceipt = SellerReceipt,
                PinnedSellerKey = c.Provider.ReceiptKey,
            },
        };
    }
}
