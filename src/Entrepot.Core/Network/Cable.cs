namespace Entrepot.Core.Network;

/// <summary>
/// A submarine cable system. <see cref="Scale"/> spreads the published length over the segments in
/// proportion to their great-circle distances, so a path along part of the cable is charged its
/// share of the real (longer, bent) fibre rather than the straight line.
/// </summary>
public sealed record Cable(string Id, string Name, double LengthKm, int ReadyForService, IReadOnlyList<(string From, string To)> Segments, double Scale, string Source);
