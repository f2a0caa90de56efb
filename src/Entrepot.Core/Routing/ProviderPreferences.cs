namespace Entrepot.Core.Routing;

/// <summary>
/// The buyer's routing wishes: OpenRouter's <c>provider</c> object (order, only, ignore,
/// allow_fallbacks, sort, max_price) plus Entrepot's jurisdiction allow and deny lists.
/// </summary>
public sealed record ProviderPreferences
{
    public static readonly ProviderPreferences None = new();

    public IReadOnlyList<string> Order { get; init; } = [];
    public IReadOnlyList<string>? Only { get; init; }
    public IReadOnlyList<string> Ignore { get; init; } = [];
    public bool AllowFallbacks { get; init; } = true;
    public SortBy? Sort { get; init; }

    /// <summary>Highest acceptable price per million input tokens, in USD.</summary>
    public decimal? MaxPromptPrice { get; init; }

    /// <summary>Highest acceptable price per million output tokens, in USD.</summary>
    public decimal? MaxCompletionPrice { get; init; }

    /// <summary>Only sellers in these jurisdictions (ISO 3166-1 alpha-2), when set.</summary>
    public IReadOnlyList<string>? Jurisdictions { get; init; }
    public IReadOnlyList<string> ExcludeJurisdictions { get; init; } = [];
}
