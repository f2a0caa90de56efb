namespace Entrepot.Core.Network;

/// <summary>One edge of the graph: a cable segment (Cable set) or a land link (Cable null).</summary>
public sealed record NetworkLink(string From, string To, double Km, Cable? Cable)
{
    public string Via => Cable?.Id ?? "land";
}
