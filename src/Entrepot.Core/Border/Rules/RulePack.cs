namespace Entrepot.Core.Border.Rules;

/// <summary>The rules of one regime, as one YAML file declares them.</summary>
public sealed record RulePack(string Id, string Title, string Law, string SourceUrl, string File, IReadOnlyList<PolicyRule> Rules);
