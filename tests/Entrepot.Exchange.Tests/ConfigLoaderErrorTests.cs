using Entrepot.Exchange.Configuration;

namespace Entrepot.Exchange.Tests;

/// <summary>
/// Every way the exchange's configuration file can be wrong, one row each: the loader refuses it with
/// a ConfigurationException that names the file and the field (so `entrepot exchange --config` prints
/// one line saying where to look), and never accepts it half-read.
/// </summary>
public sealed class ConfigLoaderErrorTests
{
    private const string Seller = """{"id":"s","kind":"openai","base_url":"http://127.0.0.1:9/v1","jurisdiction":"US","models":["m"],"price":{"input":1,"output":1}}""";

    private static string Providers(string extra) => $$"""{"providers":[{"id":"s","kind":"openai","base_url":"http://127.0.0.1:9/v1","jurisdiction":"US","models":["m"],"price":{"input":1,"output":1}{{extra}}}]}""";

    public static TheoryData<string, string> Bad() => new()
    {
        { "", "line" },
        { "null", "the file holds no configuration object" },
        { "{", "line" },
        { """{"exchange":{"port":"eighty"}}""", "$.exchange.port" },
        { """{"exchange":{"jurisdiction":"Germany"}}""", "'exchange.jurisdiction'" },
        { """{"exchange":{"port":70000}}""", "'exchange.port'" },
        { """{"exchange":{"cluster":{"node_id":"a"}}}""", "'exchange.cluster.redis'" },
        { """{"exchange":{"cluster":{"redis":"127.0.0.1:6379"}}}""", "'exchange.ledger'" },
        { """{"exchange":{"max_request_bytes":10}}""", "'exchange.max_request_bytes'" },
        { """{"exchange":{"max_response_bytes":10}}""", "'exchange.max_response_bytes'" },
        { """{"exchange":{"default_sort":"cheapest"}}""", "'exchange.default_sort'" },
        { """{"exchange":{"tls_ca_file":"/etc/hostname"}}""", "'exchange.tls_ca_file'" },
        { """{"exchange":{"ledger":{"store":"oracle"}}}""", "'exchange.ledger.store'" },
        { """{"exchange":{"ledger":{"store":"postgres"}}}""", "'exchange.ledger.connection'" },
        { """{"exchange":{"rates":{"base":"dollars","source":"x","per_base":{}}}}""", "'exchange.rates.base'" },
        { """{"exchange":{"rates":{"base":"USD","per_base":{"EUR":0.9}}}}""", "'exchange.rates.source'" },
        { """{"exchange":{"rates":{"base":"USD","source":"x","per_base":{"EUR":-1}}}}""", "'exchange.rates.per_base.EUR'" },
        { """{"exchange":{"admin_key_hash":"md5:abc"}}""", "'exchange.admin_key_hash'" },
        { """{"accounts":[{"name":"no id"}]}""", "'accounts[0].id'" },
        { """{"accounts":[{"id":"a","currency":"euro"}]}""", "'accounts[0].currency'" },
        { """{"accounts":[{"id":"a","key_hashes":["sha256:12"]}]}""", "'accounts[0].key_hashes'" },
        { """{"accounts":[{"id":"a","keys":["short"]}]}""", "'accounts[0].keys'" },
        { """{"accounts":[{"id":"a","home_jurisdiction":"Deutschland"}]}""", "'accounts[0].home_jurisdiction'" },
        { """{"accounts":[{"id":"a","attestations":["cac-security-assessment;until=soon"]}]}""", "'accounts[0].attestations'" },
        { """{"accounts":[{"id":"a","attestations":["ru-crossborder-notified;for=Everywhere"]}]}""", "'accounts[0].attestations'" },
        { """{"accounts":[{"id":"a","diversification":{"max_seller_share":1.5}}]}""", "'accounts[0].diversification.max_seller_share'" },
        { """{"accounts":[{"id":"a","budget":{"amount":-1}}]}""", "'accounts[0].budget'" },
        { """{"accounts":[{"id":"a","budget":{"amount":1,"period":"week"}}]}""", "'accounts[0].budget'" },
        { """{"accounts":[{"id":"a","default_data_class":"secretish"}]}""", "'accounts[0].default_data_class'" },
        { """{"providers":[{"kind":"openai"}]}""", "'providers[0].id'" },
        { """{"providers":[{"id":"s","kind":"grpc","base_url":"http://127.0.0.1:9/v1","jurisdiction":"US","models":["m"],"price":{"input":1,"output":1}}]}""", "'providers[0].kind'" },
        { """{"providers":[{"id":"s","kind":"openai","base_url":"ftp://x","jurisdiction":"US","models":["m"],"price":{"input":1,"output":1}}]}""", "'providers[0].base_url'" },
        { """{"providers":[{"id":"s","kind":"openai","base_url":"http://127.0.0.1:9/v1","jurisdiction":"USA","models":["m"],"price":{"input":1,"output":1}}]}""", "'providers[0].jurisdiction'" },
        { """{"providers":[{"id":"s","kind":"openai","base_url":"http://127.0.0.1:9/v1","jurisdiction":"US","models":[],"price":{"input":1,"output":1}}]}""", "'providers[0].models'" },
        { """{"providers":[{"id":"s","kind":"openai","base_url":"http://127.0.0.1:9/v1","jurisdiction":"US","models":["m"],"price":{"input":-1,"output":1}}]}""", "'providers[0].price" },
        { Providers(""","latitude":10"""), "'providers[0].latitude'" },
        { Providers(",\"locode\":\"SG\""), "'providers[0].locode'" },
        { Providers(""","capacity":0"""), "'providers[0].capacity'" },
        { Providers(""","contracts":["scc;with="]"""), "'providers[0].contracts'" },
        { Providers(""","attestations":["zero retention"]"""), "'providers[0].attestations'" },
        { Providers(""","timeout_seconds":5000"""), "'providers[0].timeout_seconds'" },
        { Providers(""","stream_idle_seconds":-1"""), "'providers[0].stream_idle_seconds'" },
        { Providers(",\"region\":\"SG-01\""), "'providers[0].region'" },
        { Providers(",\"ownership\":\"China\""), "'providers[0].ownership'" },
        { Providers(""","price_bounds":{"min":2,"max":3}"""), "'providers[0].price_bounds'" },
        { Providers(",\"api_key_env\":\"not a name!\""), "'providers[0].api_key_env'" },
        { $$"""{"providers":[{{Seller}},{{Seller}}]}""", "'providers[1].id' \"s\" is used twice" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void ABadConfigurationFile_IsRefused_NamingTheFileAndTheField(string json, string named)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("entrepot-config-").FullName, "exchange.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<ConfigurationException>(() => ExchangeConfigLoader.Load(path));
        Assert.StartsWith(Path.GetFullPath(path), e.Message, StringComparison.Ordinal);
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingFile_IsNamed()
    {
        var path = Path.Combine(Path.GetTempPath(), "entrepot-no-such-" + Guid.NewGuid().ToString("N") + ".json");
        var e = Assert.Throws<ConfigurationException>(() => ExchangeConfigLoader.Load(path));
        Assert.Equal($"{path}: file not found.", e.Message);
    }
}
