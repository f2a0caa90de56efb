using Entrepot.Core.Network;
using Entrepot.Core.Accounts;
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

    /// <summary>The settings of a validated configuration; <paramref name="port"/> and <paramref name="host"/> override the file's.</summary>
    public static ExchangeSettings From(Configuration.ExchangeConfig config, string dataDir, int? port = null, string? host = null)
    {
        var x = config.Exchange;
        byte[]? adminHash = null;
        if (x.AdminKeyHash is { } h && ApiKeyHash.TryParse(h, out var parsed))
        {
            adminHash = parsed;
        }
        else if (!string.IsNullOrEmpty(x.AdminKey))
        {
            adminHash = ApiKeyHash.Compute(x.AdminKey);
        }

        return new ExchangeSettings
        {
            Jurisdiction = x.Jurisdiction.ToUpperInvariant(),
            City = x.City,
            Location = x.Latitude is { } lat && x.Longitude is { } lon ? new GeoPoint(lat, lon) : null,
            Host = host ?? x.Host,
            Port = port ?? x.Port,
            MaxRequestBytes = x.MaxRequestBytes,
            MaxResponseBytes = x.MaxResponseBytes,
            DefaultSort = Configuration.ExchangeConfigLoader.ParseSort(x.DefaultSort)!.Value,
            AdminKeyHash = adminHash,
            DataDir = Path.GetFullPath(dataDir),
            RulesDir = RulesDirectory(x.RulesDir, Path.GetFullPath(dataDir)),
            FeePercent = x.FeePercent,
            HoldMaxTokens = x.HoldMaxTokens,
            Rates = x.Rates is { Base: { } rateBase } r ? new Core.Market.ExchangeRates(rateBase, r.PerBase, r.Source ?? "", r.AsOf ?? "") : null,
        };
    }

    /// <summary>The rules_dir setting, else DATA_DIR/rules, else the packs shipped beside the program.</summary>
    private static string? RulesDirectory(string? configured, string dataDir)
    {
        if (configured is not null)
        {
            return Path.GetFullPath(configured);
        }

        var own = Path.Combine(dataDir, "rules");
        if (Directory.Exists(own))
        {
            return own;
        }

        var shipped = Path.Combine(AppContext.BaseDirectory, "rules");
        return Directory.Exists(shipped) ? shipped : null;
    }
}
