using System.Text.Json;
using Entrepot.Exchange.Api;
using Entrepot.Core.Accounts;
using Entrepot.Core.Routing;

namespace Entrepot.Exchange.Configuration;

/// <summary>Reads and validates the configuration file; every error names the file, line and field.</summary>
public static class ExchangeConfigLoader
{
    public static ExchangeConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigurationException($"{path}: file not found.");
        }

        ExchangeConfig? config;
        try
        {
            using var stream = File.OpenRead(path);
            config = JsonSerializer.Deserialize(stream, ExchangeJsonContext.Default.ExchangeConfig);
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? $" line {l + 1}" : "";
            throw new ConfigurationException($"{path}{line}: {e.Path ?? "$"}: {e.Message}");
        }

        if (config is null)
        {
            throw new ConfigurationException($"{path}: the file holds no configuration object.");
        }

        Validate(config, path);
        config.SourcePath = Path.GetFullPath(path);
        return config;
    }

    private static bool LooksLikePem(string path, string label) =>
        File.Exists(path) && File.ReadAllText(path).Contains("-----BEGIN " + label + "-----", StringComparison.Ordinal);

    public static void Validate(ExchangeConfig config, string source)
    {
        var x = config.Exchange;
        if (x.Jurisdiction.Length != 2 || !x.Jurisdiction.All(char.IsAsciiLetter))
        {
            throw new ConfigurationException($"{source}: 'exchange.jurisdiction' must be an ISO 3166-1 alpha-2 code.");
        }

        if (x.Port is < 0 or > 65535)
        {
            throw new ConfigurationException($"{source}: 'exchange.port' must be 0-65535.");
        }

        if (x.Cluster is { } cluster)
        {
            if (string.IsNullOrWhiteSpace(cluster.Redis))
            {
                throw new ConfigurationException($"{source}: 'exchange.cluster.redis' is required: the Redis the nodes share, e.g. \"127.0.0.1:6379\".");
            }

            if (x.Ledger is not { Store: "postgres", Connection.Length: > 0 })
            {
                throw new ConfigurationException($"{source}: 'exchange.ledger' must be {{\"store\": \"postgres\", \"connection\": \"...\"}} when 'exchange.cluster' is set: the nodes keep one ledger.");
            }
        }

        if (x.MaxRequestBytes < 1024)
        {
            throw new ConfigurationException($"{source}: 'exchange.max_request_bytes' must be at least 1024.");
        }

        if (x.MaxResponseBytes < 4096)
        {
            throw new ConfigurationException($"{source}: 'exchange.max_response_bytes' must be at least 4096.");
        }

        if (ParseSort(x.DefaultSort) is null)
        {
            throw new ConfigurationException($"{source}: 'exchange.default_sort' must be balanced, price, latency or throughput.");
        }

        if (x.TlsCaFile is { } ca && !LooksLikePem(ca, "CERTIFICATE"))
        {
            throw new ConfigurationException($"{source}: 'exchange.tls_ca_file' must name a PEM certificate file (as `entrepot tls ca` writes ca.crt); {ca} is not one.");
        }

        if (x.Ledger is { } ledgerSection)
        {
            if (ledgerSection.Store is not ("sqlite" or "postgres"))
            {
                throw new ConfigurationException($"{source}: 'exchange.ledger.store' must be sqlite or postgres.");
            }

            if (ledgerSection.Store == "postgres" && string.IsNullOrWhiteSpace(ledgerSection.Connection))
            {
                throw new ConfigurationException($"{source}: 'exchange.ledger.connection' is required for the postgres store (an Npgsql connection string).");
            }
        }

        if (x.Rates is { } rates)
        {
            if (rates.Base is not { Length: 3 } || !rates.Base.All(char.IsAsciiLetter))
            {
                throw new ConfigurationException($"{source}: 'exchange.rates.base' must be an ISO 4217 code such as \"USD\".");
            }

            if (string.IsNullOrWhiteSpace(rates.Source))
            {
                throw new ConfigurationException($"{source}: 'exchange.rates.source' is required: say where the rates come from.");
            }

            foreach (var (code, rate) in rates.PerBase)
            {
                if (code.Length != 3 || !code.All(char.IsAsciiLetter) || rate <= 0)
                {
                    throw new ConfigurationException($"{source}: 'exchange.rates.per_base.{code}' must be a positive rate for an ISO 4217 code.");
                }
            }
        }

        if (x.AdminKeyHash is not null && !ApiKeyHash.TryParse(x.AdminKeyHash, out _))
        {
            throw new ConfigurationException($"{source}: 'exchange.admin_key_hash' must be sha256: followed by 64 hex digits.");
        }

        for (var i = 0; i < config.Accounts.Count; i++)
        {
            var a = config.Accounts[i];
            if (string.IsNullOrWhiteSpace(a.Id))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].id' is required.");
            }

            if (a.Currency is { } accountCurrency && (accountCurrency.Length != 3 || !accountCurrency.All(char.IsAsciiLetter)))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].currency' must be an ISO 4217 code such as \"EUR\".");
            }

            if (a.KeyHashes.Any(h => !ApiKeyHash.TryParse(h, out _)))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].key_hashes' entries must be sha256: followed by 64 hex digits.");
            }

            if (a.Keys.Any(k => k.Length < 16))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].keys' entries must be at least 16 characters.");
            }

            foreach (var t in a.Attestations ?? [])
            {
                string? why = null;
                if (t is null || t.Length > 256 || Core.Border.Policy.Holding.Parse(t, out why) is null)
                {
                    throw new ConfigurationException($"{source}: 'accounts[{i}].attestations' must hold names such as \"ru-localised\", optionally scoped (\"cac-security-assessment;for=SG;until=2026-12-31\"): {why ?? "an item is empty or over 256 characters"}.");
                }
            }

            if (a.HomeJurisdiction is not null && !Core.Accounts.Account.IsJurisdiction(a.HomeJurisdiction))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].home_jurisdiction' must be an ISO 3166 code such as \"DE\" or \"UA-43\".");
            }

            if (a.Diversification is { } d && d.ToPolicy(out var badShare) is null)
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].diversification.{badShare}' is out of range (shares 0-1, window_minutes 1-10080, min_tokens >= 0).");
            }

            if (a.Budget is { } b && (b.Amount is not >= 0 || (b.Currency is { } cur && (cur.Length != 3 || !cur.All(char.IsAsciiLetter))) ||
                !Core.Budgets.BudgetPeriods.TryParse(b.Period, out _)))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].budget' must be {{\"amount\": n >= 0, \"currency\": \"USD\", \"period\": \"total|day|month\"}}.");
            }

            if (a.DefaultDataClass is not null && !Core.Border.DataClasses.TryParseClass(a.DefaultDataClass, out _))
            {
                throw new ConfigurationException($"{source}: 'accounts[{i}].default_data_class' must be one of {string.Join(", ", Core.Border.DataClasses.All.Select(Core.Border.DataClasses.Name))}.");
            }
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < config.Providers.Count; i++)
        {
            if (config.Providers[i].ToProvider(out var error, $"providers[{i}]") is not { } p)
            {
                throw new ConfigurationException($"{source}: {error}");
            }

            if (!ids.Add(p.Id))
            {
                throw new ConfigurationException($"{source}: 'providers[{i}].id' \"{p.Id}\" is used twice.");
            }
        }
    }

    public static SortBy? ParseSort(string? s) => s?.ToLowerInvariant() switch
    {
        "balanced" => SortBy.Balanced,
        "price" => SortBy.Price,
        "latency" => SortBy.Latency,
        "throughput" => SortBy.Throughput,
        _ => null,
    };
}

public sealed class ConfigurationException(string message) : Exception(message);
