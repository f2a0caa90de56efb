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
    // Parsed once per pair of lists: a copy made with 'with' and other lists parses its own.
    private (object? Attestations, object? Contracts, IReadOnlyList<Holding>? Parsed) _holdings;

    /// <summary>Its attestations and contracts with their scope and validity (<see cref="Holding"/>).</summary>
    public IReadOnlyList<Holding> Holdings
    {
        get
        {
            var cached = _holdings;
            if (cached.Parsed is null || !ReferenceEquals(cached.Attestations, Attestations) || !ReferenceEquals(cached.Contracts, Contracts))
            {
                cached = (Attestations, Contracts, Holding.ParseAll((Attestations ?? []).Concat(Contracts ?? [])));
                _holdings = cached;
            }

            return cached.Parsed!;
        }
    }
}
