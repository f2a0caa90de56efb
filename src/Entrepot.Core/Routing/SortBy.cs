namespace Entrepot.Core.Routing;

/// <summary>How candidates are ranked; the names match OpenRouter's <c>provider.sort</c>.</summary>
public enum SortBy
{
    /// <summary>Price and latency weighed together (the default).</summary>
    Balanced,
    Price,
    Latency,
    Throughput,
}
