namespace Entrepot.Core.Network;

/// <summary>
/// Round trip estimated from geography when nothing has been measured yet.
/// Light in fibre covers about 204,000 km/s, i.e. 4.9 µs per km one way, and fibre paths run
/// 1.2-1.5 times the great-circle distance (see docs/ARCHITECTURE.md for sources). The cable graph
/// of a later issue replaces the straight-line factor with real cable paths.
/// </summary>
public static class LatencyEstimate
{
    public const double MicrosecondsPerKm = 4.9;
    public const double RouteFactor = 1.35;
    public const double HopOverheadMs = 2.0;

    public static double RoundTripMs(GeoPoint from, GeoPoint to)
    {
        var km = from.DistanceKmTo(to);
        if (km < 1)
        {
            return 0.5;
        }

        return km * RouteFactor * MicrosecondsPerKm * 2 / 1000.0 + HopOverheadMs;
    }
}
