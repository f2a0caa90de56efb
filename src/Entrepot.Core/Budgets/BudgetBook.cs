namespace Entrepot.Core.Budgets;

/// <summary>
/// Budget holds on one exchange node. Before forwarding, the request holds its maximum cost on
/// every budget that covers it (its account's and its key's), all or nothing, under one lock; after
/// the answer the hold is settled at the real cost and the rest released. Because a hold is taken
/// only when spent + held + the new maximum stays within the limit, and a settled cost never
/// exceeds its hold when sellers respect max_tokens (the hold bounds the input generously), concurrent
/// requests cannot overspend.
/// </summary>
public sealed class BudgetBook(TimeProvider time) : IBudgetBook
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, State> _states = new(StringComparer.Ordinal);

    private sealed class State(Budget budget)
    {
        public Budget Budget { get; set; } = budget;
        public DateTimeOffset PeriodStart { get; set; }
        public decimal Spent { get; set; }
        public decimal Held { get; set; }
    }

    /// <summary>Sets or replaces a budget; <paramref name="spentThisPeriod"/> comes from the store at start.</summary>
    public void Set(Budget budget, decimal spentThisPeriod = 0)
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (_states.TryGetValue(budget.Scope, out var s))
            {
                s.Budget = budget;
            }
            else
            {
                _states[budget.Scope] = new State(budget) { PeriodStart = budget.Period.Start(now), Spent = spentThisPeriod };
            }
        }
    }

    public void Remove(string scope, long upToVersion = long.MaxValue)
    {
        lock (_gate)
        {
            if (_states.TryGetValue(scope, out var s) && s.Budget.Version <= upToVersion)
            {
                _states.Remove(scope);
            }
        }
    }

    public IReadOnlyList<Budget> All()
    {
        lock (_gate)
        {
            return _states.Values.Select(s => s.Budget).ToList();
        }
    }

    public bool Covers(string scope)
    {
        lock (_gate)
        {
            return _states.ContainsKey(scope);
        }
    }

    /// <summary>The budgets among <paramref name="scopes"/> that exist.</summary>
    public IReadOnlyList<Budget> For(IEnumerable<string> scopes)
    {
        List<Budget>? found = null;
        lock (_gate)
        {
            if (_states.Count == 0)
            {
                return [];
            }

            foreach (var s in scopes)
            {
                if (_states.TryGetValue(s, out var state))
                {
                    (found ??= []).Add(state.Budget);
                }
            }
        }

        return found ?? (IReadOnlyList<Budget>)[];
    }

    /// <summary>Holds <paramref name="amount"/> on every existing budget of <paramref name="scopes"/>, or on none.</summary>
    public BudgetHold? TryHold(IReadOnlyList<string> scopes, decimal amount, out string? refusal)
    {
        refusal = null;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var held = new List<string>(scopes.Count);
            foreach (var scope in scopes)
            {
                if (!_states.TryGetValue(scope, out var s))
                {
                    continue;
                }

                Roll(s, now);
                var available = s.Budget.Limit - s.Spent - s.Held;
                if (amount > available)
                {
                    refusal = $"The {s.Budget.Period.ToString().ToLowerInvariant()} budget of {s.Budget.Scope} ({s.Budget.Limit} {s.Budget.Currency}) has {Math.Max(0, available):0.######} left " +
                        $"({s.Spent:0.######} spent, {s.Held:0.######} held by requests in flight); this request may cost up to {amount:0.######}.";
                    return null;
                }

                held.Add(scope);
            }

            foreach (var scope in held)
            {
                _states[scope].Held += amount;
            }

            return new BudgetHold(this, held, amount);
        }
    }

    public ValueTask<(BudgetHold? Hold, string? Refusal)> TryHoldAsync(IReadOnlyList<string> scopes, decimal amount)
    {
        var hold = TryHold(scopes, amount, out var refusal);
        return ValueTask.FromResult((hold, refusal));
    }

    public void Settle(BudgetHold hold, decimal actual)
    {
        lock (_gate)
        {
            foreach (var scope in hold.Scopes)
            {
                if (_states.TryGetValue(scope, out var s))
                {
                    s.Held -= hold.Amount;
                    s.Spent += actual;
                }
            }
        }
    }

    public (decimal Spent, decimal Held, decimal Limit)? Status(string scope)
    {
        lock (_gate)
        {
            return _states.TryGetValue(scope, out var s) ? (s.Spent, s.Held, s.Budget.Limit) : null;
        }
    }

    private static void Roll(State s, DateTimeOffset now)
    {
        var start = s.Budget.Period.Start(now);
        if (start > s.PeriodStart)
        {
            s.PeriodStart = start;
            s.Spent = 0;
        }
    }
}

/// <summary>An amount held on some budgets for one request; settle it once.</summary>
public sealed class BudgetHold(IBudgetBook book, IReadOnlyList<string> scopes, decimal amount, object? storeState = null)
{
    /// <summary>What the store needs to settle it (the shared store: the period keys it held on).</summary>
    public object? StoreState => storeState;

    private int _settled;

    public IReadOnlyList<string> Scopes => scopes;
    public decimal Amount => amount;

    /// <summary>Charges the real cost (never more than held) and releases the rest.</summary>
    public void Settle(decimal actual)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            book.Settle(this, actual);
        }
    }

    public void Release() => Settle(0);
}
