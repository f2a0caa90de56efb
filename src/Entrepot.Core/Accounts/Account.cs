namespace Entrepot.Core.Accounts;

/// <summary>A buyer on the exchange.</summary>
public sealed record Account(string Id, string Name, string HomeJurisdiction = "DE");
