using Entrepot.Core.Network;
using Entrepot.Core.Routing;

namespace Entrepot.Exchange.Hosting;

/// <summary>Validated, immutable settings the running exchange reads.</summary>
public sealed record ExchangeSettings
{
    public string Jurisdiction { get; init; } = "DE";
    public string? City { get; init; }
    public GeoPoint? Location { get; init; }
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 8080;
    public int MaxRequestBytes { get; init; } = 4 * 1024 * 1024;
    public int MaxResponseBytes { get; init; } = 64 * 1024 * 1024;
    public SortBy DefaultSort { get; init; } = SortBy.Balanced;

    /// <summary>SHA-256 digest of the admin key; null disables the admin API.</summary>
    public byte[]? AdminKeyHash { get; init; }
    public required string DataDir { get; init; }

    public decimal FeePercent { get; init; }
    public int HoldMaxTokens { get; init; } = 4096;

    /// <summary>Rates for holding and settling a seller's price against a budget in another currency; null: none.</summary>
    public Core.Market.ExchangeRates? Rates { get; init; }

    /// <summary>Where the rule packs are read from; null: no packs.</summary>
    public string? RulesDir { get; init; }
}
