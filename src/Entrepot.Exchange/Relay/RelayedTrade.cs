using System.Diagnostics;
using Entrepot.Core.Accounts;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Border;

namespace Entrepot.Exchange.Relay;

/// <summary>
/// What becomes known of one admitted trade as the relay carries it out (the seller tried, the bytes
/// sent and answered, the usage, how it ended), and the record of it the trade recorder settles:
/// the usage row, the declaration and the evidence for the receipt, made from it in one place.
/// </summary>
internal sealed class RelayedTrade(TradePlan plan)
{
    public TradePlan Plan { get; } = plan;
    /// <summary>The border's check of what the seller being tried is sent: the door's own body for a
    /// native seller, else the request as chat completions.</summary>
    public BorderCheck Border => Native ? Plan.NativeBorder! : Plan.Border;

    /// <summary>The way back to the buyer's door; none when the seller answers in the door's own format.</summary>
    public Core.Protocol.Doors.DoorTranslation? Translation => Native ? null : Plan.Translation;

    /// <summary>The seller being tried gets the buyer's body unchanged, in the door's own format.</summary>
    public bool Native { get; private set; }

    /// <summary>Decides, for the seller about to be tried, whether it gets the door's body as it is: it
    /// speaks the door, and the border's check of that whole body lets it through with nothing to mask.</summary>
    public void SendNative(Candidate candidate)
    {
        Native = Plan.NativeBorder is { } check && candidate.Provider.Speaks(Plan.DoorApi!)
            && check.Decide(candidate.Provider.Counterparty) is { Verdict: Verdict.Allow } decision && check.MaskingFor(decision) == Masking.None;
    }
    public Core.Budgets.BudgetHold? Hold => Plan.Hold;

    /// <summary>The declaration of a refusal at the border (451), when there was one.</summary>
    public BorderRecord? Refusal { get; set; }

    /// <summary>SHA-256 (hex) of the bytes sent to the seller being tried.</summary>
    public string? RequestSha256 { get; set; }
    public string? ResponseSha256 { get; set; }
    public string? SellerReceipt { get; set; }

    /// <summary>SHA-256 (hex) of the answer as the buyer got it, when translation or restoring changed it.</summary>
    public string? BuyerResponseSha256 { get; set; }

    /// <summary>Which limit the seller broke after the buyer had bytes, if it did.</summary>
    public string? Breach { get; set; }

    /// <summary>The name the seller being tried knows the buyer by.</summary>
    public string? BuyerAlias { get; set; }

    /// <summary>The generated text as delivered, for the exchange's own count.</summary>
    public string? Completion { get; set; }
    public long ContentEvents { get; set; }

    /// <summary>The border decision for the seller being tried.</summary>
    public CandidateDecision? Decision { get; set; }

    /// <summary>What the seller being tried is sent in place of what the scanner found.</summary>
    public Masking Masking { get; set; }

    /// <summary>The seller got placeholders: its answer needs the originals put back.</summary>
    public bool Restoring => Masking != Masking.None && Border.Mapping(Masking).Count > 0;

    public string RequestId => Plan.RequestId;
    public ApiKeyEntry Key => Plan.Key;
    public InferenceRequest Request => Plan.Request;
    public long Started => Plan.Started;
    public Candidate? Candidate { get; set; }
    public int Attempts { get; set; }
    public int Status { get; set; }
    public Outcome Outcome { get; set; } = Outcome.Completed;
    public TokenUsage Usage { get; set; }
    public long UpstreamTicks { get; set; }
    public double OverheadUs { get; set; }

    /// <summary>Elapsed time so far minus the time spent waiting for sellers.</summary>
    public double OwnMicroseconds()
    {
        var own = Stopwatch.GetTimestamp() - Started - UpstreamTicks;
        return Math.Max(0, own * 1_000_000.0 / Stopwatch.Frequency);
    }

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
