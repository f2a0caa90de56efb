namespace Entrepot.Core.Border.Policy;

/// <summary>What a threshold counts per: data leaving one origin for one seller, in one category.</summary>
public readonly record struct SubjectScope(string Origin, string Counterparty, DataCategory Category);
