namespace Entrepot.Core.Budgets;

/// <summary>
/// Where budget holds are kept: <see cref="BudgetBook"/> in memory for one exchange node, or a shared
/// store (Redis) when several nodes serve the same buyers. Either way a hold is all-or-nothing across
/// the scopes and never lets spent + held exceed a limit.
/// </summary>
public interface IBudgetBook
{
    /// <summary>Sets or replaces a budget; <paramref name="spentThisPeriod"/> counts only when the
    /// store has no record of this period yet. A shared store keeps a definition of a higher
    /// <see cref="Budget.Version"/> than this one's: a node never writes an older definition over a newer.</summary>
    void Set(Budget budget, decimal spentThisPeriod = 0);

    /// <summary>Removes a scope's budget if its definition is no newer than <paramref name="upToVersion"/>.</summary>
    void Remove(string scope, long upToVersion = long.MaxValue);

    /// <summary>Every budget defined.</summary>
    IReadOnlyList<Budget> All();

    /// <summary>The budgets among <paramref name="scopes"/> that exist.</summary>
    IReadOnlyList<Budget> For(IEnumerable<string> scopes);

    /// <summary>Holds <paramref name="amount"/> on every existing budget of <paramref name="scopes"/>, or on none.</summary>
    /// <exception cref="BudgetStoreUnavailableException">The shared store cannot be reached: refuse, never guess.</exception>
    BudgetHold? TryHold(IReadOnlyList<string> scopes, decimal amount, out string? refusal);

    /// <summary>The same as <see cref="TryHold"/> without blocking a thread on a shared store.</summary>
    ValueTask<(BudgetHold? Hold, string? Refusal)> TryHoldAsync(IReadOnlyList<string> scopes, decimal amount);

    (decimal Spent, decimal Held, decimal Limit)? Status(string scope);

    /// <summary>The same as <see cref="Status"/> without blocking a thread on a shared store.</summary>
    ValueTask<(decimal Spent, decimal Held, decimal Limit)?> StatusAsync(string scope) => ValueTask.FromResult(Status(scope));

    /// <summary>Charges the real cost of a hold and releases the rest (called once, by the hold).</summary>
    void Settle(BudgetHold hold, decimal actual);
}

/// <summary>The shared budget store is unreachable; paid requests are refused until it is back.</summary>
public sealed class BudgetStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
