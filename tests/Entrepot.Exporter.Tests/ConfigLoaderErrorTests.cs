using Entrepot.Exporter.Hosting;

namespace Entrepot.Exporter.Tests;

/// <summary>
/// Every way an exporter node's configuration file can be wrong, one row each: refused with the file
/// and the field named (`entrepot exporter --config` prints that one line).
/// </summary>
public sealed class ConfigLoaderErrorTests
{
    public static TheoryData<string, string> Bad() => new()
    {
        { "{", "line" },
        { "null", "the file holds no configuration object" },
        { """{"node":{"port":"x"}}""", "$.node.port" },
        { """{"market":{"exchange_urls":["http://127.0.0.1:8080"],"interval_seconds":0}}""", "'market.interval_seconds'" },
        { """{"market":{"exchange_urls":["not a url"]}}""", "'market.exchange_urls'" },
        { """{"tls":{"cert_file":"/etc/hostname","key_file":"/etc/hostname"}}""", "'tls.cert_file'" },
        { """{"trusted_exchanges":[{"public_key":"short"}]}""", "'trusted_exchanges[0].public_key'" },
        { """{"trusted_exchanges":[{"key_id":"0000000000000000","public_key":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}""", "'trusted_exchanges[0].key_id'" },
        { """{"node":{"jurisdiction":"USA"}}""", "'node.jurisdiction'" },
        { """{"engine":{"kind":"onnx"}}""", "'engine.kind'" },
        { """{"engine":{"kind":"upstream","models":["m"]}}""", "'engine.base_url'" },
        { """{"engine":{"kind":"upstream","base_url":"http://127.0.0.1:9/v1"}}""", "'engine.models'" },
        { """{"engine":{"context_size":8}}""", "'engine.context_size'" },
        { """{"admission":{"max_concurrency":0}}""", "'admission.max_concurrency'" },
        { """{"admission":{"body_timeout_seconds":0}}""", "'admission.body_timeout_seconds'" },
        { """{"emulated_delay_ms":-5}""", "'emulated_delay_ms'" },
        { """{"exchange_key_hashes":["sha256:xyz"]}""", "'exchange_key_hashes'" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void ABadConfigurationFile_IsRefused_NamingTheFileAndTheField(string json, string named)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("entrepot-exporter-config-").FullName, "exporter.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => ExporterConfigLoader.Load(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFile_IsNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), "entrepot-no-such-" + Guid.NewGuid().ToString("N") + ".json");
        Assert.Equal($"{path}: file not found.", Assert.Throws<InvalidDataException>(() => ExporterConfigLoader.Load(path)).Message);
    }
}
