using Entrepot.Core.Accounts;
using Entrepot.Core.Protocol;
using Entrepot.Core.Protocol.Doors;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Border;

namespace Entrepot.Exchange.Relay;

/// <summary>What came in at a door, as plain values: the key it authenticated as, the body, and the
/// headers that shape the trade.</summary>
internal sealed record BuyerCall(string RequestId, long Started, EndpointKind Kind, Door Door, ApiKeyEntry? Key, ReadOnlyMemory<byte> Body)
{
    public string? ContentType { get; init; }
    public string? Preferences { get; init; }
    public string? Subjects { get; init; }
    public string? DataClass { get; init; }
    public string? AnthropicVersion { get; init; }
}

/// <summary>
/// An admitted trade and its plan: the request (as chat completions, whatever the door), the border's
/// decision per seller, the sellers to try in order, the budget hold and the bounds it assumed. What
/// the relay needs to carry the request out and what the record of the trade starts from.
/// </summary>
internal sealed record TradePlan(string RequestId, long Started, ApiKeyEntry Key, InferenceRequest Request, ReadOnlyMemory<byte> ChatBody, BorderCheck Border)
{
    /// <summary>The sellers the border allows, in the router's order; empty when it allows none.</summary>
    public IReadOnlyList<Candidate> Sellers { get; init; } = [];

    /// <summary>The way back to the buyer's door when it is not chat completions.</summary>
    public DoorTranslation? Translation { get; init; }

    /// <summary>The door's API name ("responses", "messages") when the buyer came by another door.</summary>
    public string? DoorApi { get; init; }

    /// <summary>The body as the buyer sent it through its door, and the border's check of it, when a
    /// seller that speaks the door natively is among the candidates: such a seller gets it unchanged
    /// when this check lets it through as it is (allowed, nothing to mask); else the translation.</summary>
    public ReadOnlyMemory<byte> DoorBody { get; init; }
    public BorderCheck? NativeBorder { get; init; }

    /// <summary>Sellers moved behind the others by the buyer's diversification cap.</summary>
    public IReadOnlyList<string>? Diversified { get; init; }

    /// <summary>The budget hold taken before forwarding; settled at the real cost after.</summary>
    public Core.Budgets.BudgetHold? Hold { get; init; }

    /// <summary>The currency of the budgets the hold is against.</summary>
    public string? HoldCurrency { get; init; }

    /// <summary>The most input tokens the trade can be billed (<see cref="TradeAdmission.MaxInput"/>).</summary>
    public long MaxInput { get; init; }

    /// <summary>The most output tokens the trade can be billed: its max_tokens, else the configured cap.</summary>
    public long MaxOutput { get; init; }
}

/// <summary>Admission's answer: a plan, a refusal, or both (a refusal at the border is a trade of its own, recorded and declared).</summary>
internal readonly record struct Admission(TradePlan? Plan, Refusal? Refusal)
{
    public static implicit operator Admission(Refusal refusal) => new(null, refusal);
}
