namespace Entrepot.Core.Border.Rules;

/// <summary>One rule of a regime: what it matches, what it does, and the law it comes from.</summary>
public sealed record PolicyRule
{
    public required string Id { get; init; }
    public required string Pack { get; init; }
    public required string Title { get; init; }
    public required string Citation { get; init; }
    public required DateOnly EffectiveFrom { get; init; }
    public DateOnly? EffectiveUntil { get; init; }
    public required RuleMatch Match { get; init; }
    public required PolicyEffect Effect { get; init; }

    /// <summary>For require_* effects: any one of these attestations or contracts satisfies it.</summary>
    public IReadOnlyList<string> Requires { get; init; } = [];

    /// <summary>For require_* effects: what happens when nothing required is held (deny by default).</summary>
    public PolicyEffect Otherwise { get; init; } = PolicyEffect.Deny;

    /// <summary>A holding of the requirement counts only this many working days (Monday to Friday)
    /// after its from= date, such as the period in which a regulator may object to a notice; 0: at once.</summary>
    public int WaitWorkingDays { get; init; }

    public RuleThreshold? Threshold { get; init; }

    /// <summary>Where the rule was read from ("rules/us-dsp.yaml:42"), for messages.</summary>
    public string Source { get; init; } = "";

    public bool InForce(DateOnly day) => day >= EffectiveFrom && (EffectiveUntil is null || day < EffectiveUntil);
}
