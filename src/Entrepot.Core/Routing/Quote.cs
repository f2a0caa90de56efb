using Entrepot.Core.Market;

namespace Entrepot.Core.Routing;

/// <summary>What the market says about a seller when the route table is built: its estimated round
/// trip over the cable network (and whether any path is left), its spot price and its load.</summary>
public sealed record Quote(double RoundTripMs, bool Reachable, Price SpotPrice, double Load, IReadOnlyList<string>? Path = null);
