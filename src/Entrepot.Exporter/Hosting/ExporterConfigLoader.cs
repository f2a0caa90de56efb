using System.Text.Json;
using Entrepot.Core.Accounts;

namespace Entrepot.Exporter.Hosting;

/// <summary>Reads and validates an exporter configuration; errors name the file, line and field.</summary>
public static class ExporterConfigLoader
{
    public static ExporterConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path}: file not found.");
        }

        ExporterConfig? config;
        try
        {
            using var stream = File.OpenRead(path);
            config = JsonSerializer.Deserialize(stream, ExporterJsonContext.Default.ExporterConfig);
        }
        catch (JsonException e)
        {
            var line = e.LineNumber is { } l ? $" line {l + 1}" : "";
            throw new InvalidDataException($"{path}{line}: {e.Path ?? "$"}: {e.Message}");
        }

        if (config is null)
        {
            throw new InvalidDataException($"{path}: the file holds no configuration object.");
        }

        Validate(config, path);
        return config;
    }

    public static void Validate(ExporterConfig c, string source)
    {
        if (c.Market is { } market)
        {
            if (market.IntervalSeconds is not (>= 1 and <= 60))
            {
                throw new InvalidDataException($"{source}: 'market.interval_seconds' must be between 1 and 60.");
            }

            foreach (var url in market.ExchangeUrls)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var u) || (u.Scheme != Uri.UriSchemeHttp && u.Scheme != Uri.UriSchemeHttps))
                {
                    throw new InvalidDataException($"{source}: 'market.exchange_urls' must be absolute http(s) URLs of exchanges ('{url}' is not).");
                }
            }
        }

        if (c.Tls is { } tls)
        {
            if (tls.CertFile is not { } cert || !File.Exists(cert) || !File.ReadAllText(cert).Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{source}: 'tls.cert_file' must name a PEM certificate file (as `entrepot tls issue` writes NAME.crt).");
            }

            if (tls.KeyFile is not { } key || !File.Exists(key) || !File.ReadAllText(key).Contains("PRIVATE KEY-----", StringComparison.Ordinal))
            {
                throw new InvalidDataException($"{source}: 'tls.key_file' must name a PEM private key file (as `entrepot tls issue` writes NAME.key).");
            }
        }

        for (var i = 0; i < c.TrustedExchanges.Count; i++)
        {
            var t = c.TrustedExchanges[i];
            var key = Core.Trust.Receipts.FromBase64Url(t.PublicKey);
            if (key is not { Length: 32 })
            {
                throw new InvalidDataException($"{source}: 'trusted_exchanges[{i}].public_key' must be an Ed25519 public key in base64url, as the exchange's /.well-known/entrepot/keys shows it.");
            }

            if (t.KeyId is not null && t.KeyId != Core.Trust.SigningKey.KeyIdOf(key))
            {
                throw new InvalidDataException($"{source}: 'trusted_exchanges[{i}].key_id' does not match its public key.");
            }
        }

        if (c.Node.Jurisdiction.Length != 2 || !c.Node.Jurisdiction.All(char.IsAsciiLetter))
        {
            throw new InvalidDataException($"{source}: 'node.jurisdiction' must be an ISO 3166-1 alpha-2 code.");
        }

        if (c.Engine.Kind is not ("embedded" or "upstream"))
        {
            throw new InvalidDataException($"{source}: 'engine.kind' must be \"embedded\" or \"upstream\".");
        }

        if (c.Engine.Kind == "upstream" && (!Uri.TryCreate(c.Engine.BaseUrl, UriKind.Absolute, out _) || c.Engine.Models.Count == 0))
        {
            throw new InvalidDataException($"{source}: an upstream engine needs 'engine.base_url' (absolute URL) and 'engine.models' (non-empty).");
        }

        if (c.Engine.ContextSize is < 64 or > 131072)
        {
            throw new InvalidDataException($"{source}: 'engine.context_size' must be 64-131072.");
        }

        if (c.Admission.MaxConcurrency < 1 || c.Admission.MaxQueue < 0)
        {
            throw new InvalidDataException($"{source}: 'admission.max_concurrency' must be at least 1 and 'admission.max_queue' at least 0.");
        }

        if (c.Admission.BodyTimeoutSeconds is not (>= 0.1 and <= 600))
        {
            throw new InvalidDataException($"{source}: 'admission.body_timeout_seconds' must be from 0.1 to 600.");
        }

        if (c.EmulatedDelayMs is < 0 or > 60_000)
        {
            throw new InvalidDataException($"{source}: 'emulated_delay_ms' must be 0-60000.");
        }

        if (c.ExchangeKeyHashes.Any(h => !ApiKeyHash.TryParse(h, out _)))
        {
            throw new InvalidDataException($"{source}: 'exchange_key_hashes' entries must be sha256: followed by 64 hex digits.");
        }
    }
}
