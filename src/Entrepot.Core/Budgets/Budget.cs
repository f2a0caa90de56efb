namespace Entrepot.Core.Budgets;

/// <summary>A spending limit for an account or a key ("account:acme", "key:k_12"), in one currency, per
/// period. <see cref="Version"/> orders definitions of the same scope: a shared store keeps the newest.</summary>
public sealed record Budget(string Scope, decimal Limit, string Currency, BudgetPeriod Period, long Version = 0);
