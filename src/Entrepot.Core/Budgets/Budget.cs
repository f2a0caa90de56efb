namespace Entrepot.Core.Budgets;

/// <summary>A spending limit for an account or a key ("account:acme", "key:k_12"), in one currency, per period.</summary>
public sealed record Budget(string Scope, decimal Limit, string Currency, BudgetPeriod Period);
