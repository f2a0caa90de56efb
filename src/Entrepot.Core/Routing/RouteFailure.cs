namespace Entrepot.Core.Routing;

/// <summary>Why no candidate could be offered for a request.</summary>
public enum RouteFailure
{
    None,

    /// <summary>No provider serves the requested model.</summary>
    UnknownModel,

    /// <summary>Providers serve the model, but the buyer's preferences exclude all of them.</summary>
    ExcludedByPreferences,

    /// <summary>Every provider of the model is cut off: no cable path is left to any of them.</summary>
    Unreachable,
}
