namespace Entrepot.Core.Border.Rules;

/// <summary>The window over which distinct data subjects are counted.</summary>
public enum ThresholdPeriod
{
    /// <summary>The preceding twelve months (28 CFR 202.205).</summary>
    Rolling12Months,

    /// <summary>Since 1 January of the current year (CAC cross-border provisions).</summary>
    CalendarYear,
}

public static class ThresholdPeriods
{
    public static string Name(this ThresholdPeriod p) => p == ThresholdPeriod.CalendarYear ? "calendar-year" : "rolling-12-months";

    public static DateTimeOffset Start(this ThresholdPeriod p, DateTimeOffset now) => p switch
    {
        ThresholdPeriod.CalendarYear => new DateTimeOffset(now.UtcDateTime.Year, 1, 1, 0, 0, 0, TimeSpan.Zero),
        _ => now.ToUniversalTime().AddMonths(-12),
    };

    /// <summary>The start of the longest period: a subject last sent before it counts in none.</summary>
    public static DateTimeOffset Horizon(DateTimeOffset now) => Enum.GetValues<ThresholdPeriod>().Min(p => p.Start(now));
}
