using System.CommandLine;
using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Exchange.Configuration;
using Entrepot.Exchange.Hosting;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot exchange</c>: serve the exchange from a config file, or in front of one upstream.</summary>
internal static class ExchangeCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config("Exchange configuration file (JSON); see docs/OPERATIONS.md.");
        var upstream = new Option<string?>("--upstream") { Description = "Quick start without a config file: base URL of one OpenAI-compatible provider, e.g. http://127.0.0.1:11434/v1." };
        var upstreamKey = CommonOptions.SecretOption.Create("upstream-key", "The API key of --upstream", "ENTREPOT_UPSTREAM_KEY");
        var upstreamModels = new Option<string[]>("--model") { Description = "Model the --upstream serves (repeatable); default: asked from its /models.", AllowMultipleArgumentsPerToken = true };
        var jurisdiction = new Option<string>("--jurisdiction") { Description = "ISO country code where --upstream runs.", DefaultValueFactory = _ => "US" };
        var apiKey = CommonOptions.SecretOption.Create("api-key", "The buyer key to create for the quick start (printed if generated)", "ENTREPOT_API_KEY");
        var adminKey = CommonOptions.SecretOption.Create("admin-key", "The admin API key (overrides the config file's)", "ENTREPOT_ADMIN_KEY");
        var port = CommonOptions.Port("Port to listen on (default 8080 or the config file's).");
        var host = new Option<string?>("--host") { Description = "Address to listen on (default 127.0.0.1)." };
        var dataDir = CommonOptions.DataDir();

        var cmd = new Command("exchange", "Serve the exchange: the OpenAI-compatible API for buyers and the admin API.")
        {
            config, upstream, upstreamKey.Value, upstreamKey.File, upstreamModels, jurisdiction, apiKey.Value, apiKey.File, adminKey.Value, adminKey.File, port, host, dataDir,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            ExchangeConfig cfg;
            string? generatedKey = null;
            var upstreamSecret = upstreamKey.Read(pr, out var secretError);
            var apiSecret = secretError is null ? apiKey.Read(pr, out secretError) : null;
            var adminSecret = secretError is null ? adminKey.Read(pr, out secretError) : null;
            if ((secretError ?? CommonOptions.KeyProblem("api-key", apiSecret) ?? CommonOptions.KeyProblem("admin-key", adminSecret)
                ?? CommonOptions.UrlProblem("upstream", pr.GetValue(upstream))) is { } problem)
            {
                return CommonOptions.Fail(problem);
            }

            try
            {
                if (pr.GetValue(config) is { } path)
                {
                    cfg = ExchangeConfigLoader.Load(path);
                }
                else if (pr.GetValue(upstream) is { } url)
                {
                    var models = pr.GetValue(upstreamModels) is { Length: > 0 } m ? m.ToList() : await AskModelsAsync(url, upstreamSecret, ct).ConfigureAwait(false);
                    var key = apiSecret ?? (generatedKey = Core.Accounts.ApiKeyHash.NewKey());
                    cfg = new ExchangeConfig
                    {
                        Accounts = [new AccountSpec { Id = "default", Name = "Default buyer", Keys = [key] }],
                        Providers =
                        [
                            new ProviderSpec
                            {
                                Id = "upstream", Kind = "openai", BaseUrl = url, ApiKey = upstreamSecret,
                                Jurisdiction = pr.GetValue(jurisdiction), Models = models,
                                Price = new PriceSpec { Input = 0, Output = 0, Currency = "USD" },
                            },
                        ],
                    };
                }
                else
                {
                    return CommonOptions.Fail("give --config FILE, or --upstream URL for a quick start.");
                }

                if (adminSecret is { } ak)
                {
                    cfg = cfg with { Exchange = cfg.Exchange with { AdminKey = ak, AdminKeyHash = null } };
                }

                using var shutdown = new ShutdownSignal(); // before any host starts
                await using var exchange = ExchangeHost.Create(cfg, pr.GetValue(dataDir)!, pr.GetValue(port), pr.GetValue(host), tokenizerKinds: TokenizerKinds);
                await exchange.StartAsync(ct).ConfigureAwait(false);
                Console.WriteLine($"Entrepot exchange listening on {exchange.BaseUrl} ({exchange.Market.Routes.All.Count} providers, models: {string.Join(", ", exchange.Market.Routes.Models)})");
                if (generatedKey is not null)
                {
                    Console.WriteLine($"Buyer API key (shown once): {generatedKey}");
                }

                Console.WriteLine("ready");
                await shutdown.WaitAsync(ct).ConfigureAwait(false);
                Console.WriteLine("stopping");
                return 0;
            }
            catch (Exception e) when (e is ConfigurationException or InvalidDataException or HttpRequestException or IOException or TaskCanceledException)
            {
                return CommonOptions.Fail(CliFailure.Describe(e));
            }
        });
        return cmd;
    }

    /// <summary>The tokenizers the program adds to the exchange's own: a GGUF file's vocabulary and template.</summary>
    public static readonly IReadOnlyDictionary<string, Func<string, Core.Metering.ITokenCounter>> TokenizerKinds =
        new Dictionary<string, Func<string, Core.Metering.ITokenCounter>> { ["gguf"] = path => Exporter.Engines.GgufTokenCounter.Load(path) };

    private static async Task<List<string>> AskModelsAsync(string baseUrl, string? key, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl.TrimEnd('/') + "/models");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }

        using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
        var models = doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        return models.Count > 0 ? models : throw new InvalidDataException($"{baseUrl}/models lists no models; name them with --model.");
    }
}
