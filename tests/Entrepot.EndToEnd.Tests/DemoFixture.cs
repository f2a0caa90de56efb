using System.ClientModel;
using System.Net.Http.Headers;
using Entrepot.Cli.Demo;
using OpenAI;
using OpenAI.Chat;

namespace Entrepot.EndToEnd.Tests;

/// <summary>A running demo market (exchange + four exporter nodes on loopback) for a test class.</summary>
public class DemoFixture : IAsyncLifetime
{
    public const string ApiKey = "ent-test-buyer-key-0123456789";

    protected virtual IReadOnlyDictionary<string, DemoNodeOverride> Overrides => new Dictionary<string, DemoNodeOverride>();

    protected virtual double HeartbeatSeconds => 2;

    public DemoMarket Market { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public Uri V1 => new(Market.Exchange.BaseUrl, "v1/");

    public ChatClient Chat(string? key = null) => new(Market.ModelName, new ApiKeyCredential(key ?? ApiKey), new OpenAIClientOptions { Endpoint = V1 });

    public string DataDir { get; } = SharedModel.TempDir("demo");

    /// <summary>A client for talking to an exporter node directly, as the exchange does: over TLS,
    /// trusting the demo market's private CA and nothing else.</summary>
    public HttpClient NodeClient(Uri baseAddress)
    {
        var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(DataDir, "tls", "ca.crt")));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, chain, errors) =>
                errors == System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors && cert is not null && Core.Trust.PrivateCa.Validates(ca, cert, chain),
        };
        return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async Task InitializeAsync()
    {
        Market = await DemoMarket.StartAsync(new DemoOptions
        {
            Port = 0,
            ApiKey = ApiKey,
            DataDir = DataDir,
            ModelPath = SharedModel.Path,
            DelayScale = 0.1,
            Nodes = Overrides,
            HeartbeatSeconds = HeartbeatSeconds,
        });
        Http = new HttpClient { BaseAddress = V1, Timeout = TimeSpan.FromSeconds(60) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Market.DisposeAsync();
    }
}
