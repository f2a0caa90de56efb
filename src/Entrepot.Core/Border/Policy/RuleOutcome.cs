using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Border.Policy;

/// <summary>A rule that applied to a trade, what it did, and why ("requires scc: not held",
/// "100001 subjects > 100000").</summary>
public sealed record RuleOutcome(PolicyRule Rule, PolicyEffect Applied, string? Note = null);
