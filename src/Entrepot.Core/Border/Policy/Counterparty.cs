namespace Entrepot.Core.Border.Policy;

/// <summary>The seller side of a trade as the rules see it: where it is, who owns it, and what it
/// has attested (zero-retention, EU-US DPF certification) or signed (SCC, the CAC standard contract).</summary>
public sealed record Counterparty(
    string Id,
    string Jurisdiction,
    string? Ownership = null,
    IReadOnlyCollection<string>? Attestations = null,
    IReadOnlyCollection<string>? Contracts = null)
{
    public bool Holds(string requirement) =>
        (Attestations?.Contains(requirement, StringComparer.OrdinalIgnoreCase) ?? false) ||
        (Contracts?.Contains(requirement, StringComparer.OrdinalIgnoreCase) ?? false);
}
