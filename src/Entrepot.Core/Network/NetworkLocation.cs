namespace Entrepot.Core.Network;

/// <summary>A landing station or inference city, named by its UN/LOCODE (e.g. SGSIN).</summary>
public sealed record NetworkLocation(string Locode, string Name, string Country, GeoPoint Point, bool Inference, string Source);
