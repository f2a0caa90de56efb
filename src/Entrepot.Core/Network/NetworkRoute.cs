namespace Entrepot.Core.Network;

/// <summary>The shortest path between two locations and its estimated round trip.</summary>
public sealed record NetworkRoute(IReadOnlyList<string> Path, IReadOnlyList<NetworkLink> Links, double Km, double RoundTripMs)
{
    /// <summary>The cables the path uses, in order, each once.</summary>
    public IReadOnlyList<string> Cables => Links.Where(l => l.Cable is not null).Select(l => l.Cable!.Id).Distinct().ToArray();
}
