namespace Entrepot.Core.Budgets;

/// <summary>How often a budget starts again.</summary>
public enum BudgetPeriod
{
    Total,
    Day,
    Month,
}

public static class BudgetPeriods
{
    public static bool TryParse(string? s, out BudgetPeriod p)
    {
        switch (s?.ToLowerInvariant())
        {
            case null or "total":
                p = BudgetPeriod.Total;
                return true;
            case "day":
                p = BudgetPeriod.Day;
                return true;
            case "month":
                p = BudgetPeriod.Month;
                return true;
            default:
                p = default;
                return false;
        }
    }

    /// <summary>Start of the period containing <paramref name="now"/> (UTC).</summary>
    public static DateTimeOffset Start(this BudgetPeriod p, DateTimeOffset now)
    {
        var u = now.UtcDateTime;
        return p switch
        {
            BudgetPeriod.Day => new DateTimeOffset(u.Year, u.Month, u.Day, 0, 0, 0, TimeSpan.Zero),
            BudgetPeriod.Month => new DateTimeOffset(u.Year, u.Month, 1, 0, 0, 0, TimeSpan.Zero),
            _ => DateTimeOffset.UnixEpoch,
        };
    }
}
