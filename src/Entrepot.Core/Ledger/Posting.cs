namespace Entrepot.Core.Ledger;

/// <summary>One leg of a ledger entry: an account ("buyer:acme", "seller:sg-1", "exchange:fees")
/// and a signed amount in the entry's currency (debits negative, credits positive).</summary>
public readonly record struct Posting(string Account, decimal Amount);
