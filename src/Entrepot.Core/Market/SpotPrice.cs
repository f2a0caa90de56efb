namespace Entrepot.Core.Market;

/// <summary>
/// The price a seller's offer trades at right now: its posted price times a multiplier that rises
/// with load, so busy sellers cost more and demand spreads to idle ones.
/// <para>load = (requests in flight + requests queued) / capacity, as the node last reported it.
/// multiplier = 1 up to <see cref="Knee"/> (half busy), then rises by 1 per unit of load above it,
/// capped at <see cref="MaxMultiplier"/>: 1.0 at load 0.5, 1.5 fully busy, 2.0 with a queue of half
/// the capacity or more. Bounded, so a buyer's hold (taken at the quote) always covers the bill.</para>
/// </summary>
public static class SpotPrice
{
    public const double Knee = 0.5;
    public const decimal MaxMultiplier = 2.0m;

    public static double Load(int inFlight, int queued, int capacity) =>
        capacity <= 0 ? 0 : Math.Max(0, inFlight + queued) / (double)capacity;

    public static decimal Multiplier(double load)
    {
        if (double.IsNaN(load) || load <= Knee)
        {
            return 1m;
        }

        var m = 1m + (decimal)Math.Min(load - Knee, (double)(MaxMultiplier - 1m));
        return Math.Round(Math.Min(m, MaxMultiplier), 4);
    }

    public static Price Of(Price posted, double load)
    {
        var m = Multiplier(load);
        return m == 1m ? posted : posted with
        {
            InputPerMillion = Math.Round(posted.InputPerMillion * m, 6),
            OutputPerMillion = Math.Round(posted.OutputPerMillion * m, 6),
            CachedInputPerMillion = posted.CachedInputPerMillion is { } cached ? Math.Round(cached * m, 6) : null,
        };
    }
}
