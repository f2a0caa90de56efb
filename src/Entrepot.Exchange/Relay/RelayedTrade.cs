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
/// sent and answered, the usage, how it ended); once it ends, fixed as a <see cref="TradeResult"/>.
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

    /// <summary>How the trade ended, fixed: what its record, its declaration and its receipt are made from.</summary>
    public TradeResult Result() => new(Plan, Border)
    {
        Candidate = Candidate,
        Decision = Decision,
        Masking = Masking,
        Attempts = Attempts,
        Status = Status,
        Outcome = Outcome,
        Usage = Usage,
        OverheadUs = OverheadUs,
        Refusal = Refusal,
        RequestSha256 = RequestSha256,
        ResponseSha256 = ResponseSha256,
        BuyerResponseSha256 = BuyerResponseSha256,
        SellerReceipt = SellerReceipt,
        BuyerAlias = BuyerAlias,
        Completion = Completion,
        ContentEvents = ContentEvents,
    };
}
