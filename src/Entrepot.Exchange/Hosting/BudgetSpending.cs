namespace Entrepot.Exchange.Hosting;

/// <summary>What a budget scope ("account:ID" or "key:ID") has spent since a time, fee included, in a
/// currency, from the usage log: a budget set or reloaded mid-period starts from the truth.</summary>
public sealed class BudgetSpending(Func<string, DateTimeOffset, string, decimal> spentSince)
{
    public decimal Since(string scope, DateTimeOffset since, string currency) => spentSince(scope, since, currency);
}
