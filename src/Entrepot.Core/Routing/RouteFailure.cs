namespace Entrepot.Core.Routing;

/// <summary>Why no candidate could be offered for a request.</summary>
public enum RouteFailure
{
    None,

    /// <summary>No provider serves the requested model.</summary>
    UnknownModel,

    /// <summary>Providers serve the model, but the buyer's preferences exclude all of them.</summary>
    ExcludedByPreferences,
}
