using System.Text.Json;
using Entrepot.Core.Budgets;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Api;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Relay;
using Entrepot.Storage;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// The budgets, rate limits and diversification caps in force, under one rule: <b>the configuration
/// file owns what it defines, the admin API owns the rest</b>. At start the file's are written to the
/// setting store as the file's (a scope the file takes over from the admin API becomes the file's; a
/// setting the file no longer defines goes), then everything stored is applied. The admin API changes
/// only what the file does not define (409 otherwise) and announces the change, so every node applies
/// it. Budget definitions carry the store's version, and a shared budget store keeps the newest, so a
/// node that starts never puts back an older budget than another node just set.
/// </summary>
public sealed class AccountControls(ISettingStore store, IBudgetBook budgets, BudgetSpending spending, RateLimits limits, Diversifier caps,
    TimeProvider time, ExchangeConfig config)
{
    private readonly Lock _applying = new();

    public ISettingStore Store => store;

    /// <summary>Where the file is, for the admin API's refusals ("the configuration file /etc/...";
    /// a configuration built in memory, as the demo's, has no file to name).</summary>
    public string DefinedIn => config.SourcePath is { } path ? "the configuration file " + path : "the exchange's configuration";

    /// <summary>The file's part, then everything stored applied (at start).</summary>
    public void Start()
    {
        store.SyncFile(SettingKinds.Budget, config.Accounts.Where(a => a.Budget is not null)
            .ToDictionary(a => "account:" + a.Id, a => Serialize(FileBudget(a)), StringComparer.Ordinal));
        store.SyncFile(SettingKinds.Limits, config.Accounts.Where(a => a.Limits is not null)
            .ToDictionary(a => "account:" + a.Id, a => JsonSerializer.Serialize(a.Limits!, ExchangeJsonContext.Default.LimitsSpec), StringComparer.Ordinal));
        store.SyncFile(SettingKinds.Caps, config.Accounts.Where(a => a.Diversification is not null)
            .ToDictionary(a => a.Id!, a => JsonSerializer.Serialize(a.Diversification!, ExchangeJsonContext.Default.DiversificationSpec), StringComparer.Ordinal));
        AdoptUnversionedBudgets();
        Apply(SettingKinds.Budget);
        Apply(SettingKinds.Limits);
        Apply(SettingKinds.Caps);
    }

    /// <summary>Whether the file defines this account (its attributes are then the file's).</summary>
    public bool FileDefinesAccount(string id) => config.Accounts.Any(a => a.Id == id);

    /// <summary>Whether the file defines this setting (then the admin API may not change it).</summary>
    public bool FileOwns(string kind, string scope) =>
        store.Find(kind, scope) is { FromFile: true } || kind switch
        {
            SettingKinds.Budget => config.Accounts.Any(a => a.Budget is not null && "account:" + a.Id == scope),
            SettingKinds.Limits => config.Accounts.Any(a => a.Limits is not null && "account:" + a.Id == scope),
            SettingKinds.Caps => config.Accounts.Any(a => a.Diversification is not null && a.Id == scope),
            _ => false,
        };

    /// <summary>Applies the stored settings of a kind to this node: what is stored is set, what is not is cleared.</summary>
    public void Apply(string kind)
    {
        lock (_applying)
        {
            var clock = store.Clock();
            var stored = store.All(kind);
            switch (kind)
            {
                case SettingKinds.Budget:
                    ApplyBudgets(stored, clock);
                    break;
                case SettingKinds.Limits:
                    foreach (var s in stored)
                    {
                        if (JsonSerializer.Deserialize(s.Value, ExchangeJsonContext.Default.LimitsSpec) is { } l)
                        {
                            limits.Set(s.Scope, l.RequestsPerMinute, l.TokensPerMinute);
                        }
                    }

                    foreach (var gone in limits.Scopes.Except(stored.Select(s => s.Scope)).ToList())
                    {
                        limits.Remove(gone);
                    }

                    break;
                case SettingKinds.Caps:
                    foreach (var s in stored)
                    {
                        caps.Set(s.Scope, JsonSerializer.Deserialize(s.Value, ExchangeJsonContext.Default.DiversificationSpec)?.ToPolicy(out _));
                    }

                    foreach (var gone in caps.Accounts.Except(stored.Select(s => s.Scope)).ToList())
                    {
                        caps.Set(gone, null);
                    }

                    break;
            }
        }
    }

    /// <summary>The budget a stored setting defines, with its version.</summary>
    public static Budget? ToBudget(Setting s) =>
        JsonSerializer.Deserialize(s.Value, ExchangeJsonContext.Default.BudgetSpec) is { Amount: { } amount } b
            && BudgetPeriods.TryParse(b.Period, out var period)
            ? new Budget(s.Scope, amount, (b.Currency ?? "USD").ToUpperInvariant(), period, s.Version)
            : null;

    public static string Serialize(BudgetSpec b) => JsonSerializer.Serialize(b, ExchangeJsonContext.Default.BudgetSpec);

    /// <summary>Sets a budget on this node's book (the shared one keeps a newer definition if there is one).</summary>
    public void SetBudget(Budget budget) =>
        budgets.Set(budget, spending.Since(budget.Scope, BudgetPeriods.Start(budget.Period, time.GetUtcNow()), budget.Currency));

    private void ApplyBudgets(IReadOnlyList<Setting> stored, long clock)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in stored)
        {
            if (ToBudget(s) is { } b)
            {
                SetBudget(b);
                defined.Add(b.Scope);
            }
        }

        // A budget no longer stored goes, unless it was defined after the store was read (by a node
        // whose change this read did not see yet: its version is above the clock read before).
        foreach (var b in budgets.All().Where(b => !defined.Contains(b.Scope)))
        {
            budgets.Remove(b.Scope, clock);
        }
    }

    /// <summary>A cluster upgraded from before budgets were stored with versions holds its admin-set
    /// budgets only in the shared budget store (version 0): they are taken into the setting store as
    /// the admin API's, rather than dropped.</summary>
    private void AdoptUnversionedBudgets()
    {
        foreach (var b in budgets.All().Where(b => b.Version == 0))
        {
            if (store.Find(SettingKinds.Budget, b.Scope) is null)
            {
                store.Put(SettingKinds.Budget, b.Scope, Serialize(new BudgetSpec { Amount = b.Limit, Currency = b.Currency, Period = b.Period.ToString().ToLowerInvariant() }));
            }
        }
    }

    private static BudgetSpec FileBudget(AccountSpec a) => new()
    {
        Amount = a.Budget!.Amount ?? 0,
        Currency = (a.Budget.Currency ?? a.Currency ?? "USD").ToUpperInvariant(),
        Period = BudgetPeriods.TryParse(a.Budget.Period, out var p) ? p.ToString().ToLowerInvariant() : "total",
    };
}
