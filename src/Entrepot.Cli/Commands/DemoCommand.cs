using System.CommandLine;
using Entrepot.Cli.Demo;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot demo</c>: the whole market in one process.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Exchange port; the four nodes take the next four.", DefaultValueFactory = _ => 8080 };
        var apiKey = CommonOptions.SecretOption.Create("api-key", "The buyer key to create (default: a generated one, printed)", "ENTREPOT_API_KEY");
        var adminKey = CommonOptions.SecretOption.Create("admin-key", "The admin key (default: a generated one, printed)", "ENTREPOT_ADMIN_KEY");
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the demo's database (default: a fresh temporary one)." };
        var model = new Option<string?>("--model") { Description = "GGUF model for the embedded engine (default: stories260K, found or fetched)." };
        var cmd = new Command("demo", "Start an exchange and four exporter nodes in four jurisdictions, all on this machine.")
        {
            port, apiKey.Value, apiKey.File, adminKey.Value, adminKey.File, dataDir, model,
        };
        cmd.SetAction(async (pr, ct) =>
        {
            var buyerSecret = apiKey.Read(pr, out var secretError);
            var adminSecret = secretError is null ? adminKey.Read(pr, out secretError) : null;
            if ((secretError ?? CommonOptions.KeyProblem("api-key", buyerSecret) ?? CommonOptions.KeyProblem("admin-key", adminSecret)) is { } problem)
            {
                return CommonOptions.Fail(problem);
            }

            var dir = pr.GetValue(dataDir) ?? Path.Combine(Path.GetTempPath(), "entrepot-demo-" + Environment.ProcessId);
            using var shutdown = new ShutdownSignal(); // before any host starts
            Console.WriteLine("Starting the Entrepot demo market ...");
            DemoMarket market;
            try
            {
                Task<DemoMarket> Start(Action<string> log) => DemoMarket.StartAsync(new DemoOptions
                {
                    Port = pr.GetValue(port),
                    ApiKey = buyerSecret,
                    AdminKey = adminSecret,
                    DataDir = dir,
                    ModelPath = pr.GetValue(model),
                    Log = log,
                }, ct);

                // A spinner naming the current step on a terminal; plain lines when the output is piped.
                market = Spectre.Console.AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected
                    ? await Spectre.Console.AnsiConsole.Status().StartAsync("loading the model ...", status => Start(m =>
                    {
                        Spectre.Console.AnsiConsole.WriteLine("  " + m);
                        status.Status = Spectre.Console.Markup.Escape("starting the next node after " + m.Split("  ")[0].Trim() + " ...");
                    })).ConfigureAwait(false)
                    : await Start(m => Console.WriteLine("  " + m)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or FileNotFoundException or InvalidDataException)
            {
                return CommonOptions.Fail(CliFailure.Describe(e));
            }

            await using (market.ConfigureAwait(false))
            {
                var url = market.Exchange.BaseUrl.AbsoluteUri.TrimEnd('/');
                Console.WriteLine($"""

                    Exchange:  {url}/v1   (data in {dir})
                    Dashboard: {url}/#key={market.AdminKey}
                    API key:   {market.ApiKey}
                    Admin key: {market.AdminKey}
                    Model:     {market.ModelName}{(market.ModelFile.IsRandomWeights ? "  (RANDOM WEIGHTS placeholder: no real model was found or downloadable)" : "")}

                    Try it:
                      curl -s {url}/v1/chat/completions -H "Authorization: Bearer {market.ApiKey}" -H "Content-Type: application/json" \
                        -d '{"{"}"model":"{market.ModelName}","messages":[{"{"}"role":"user","content":"Once upon a time"{"}"}],"max_tokens":40{"}"}' -i

                    OpenAI SDK (Python):
                      from openai import OpenAI
                      client = OpenAI(base_url="{url}/v1", api_key="{market.ApiKey}")
                      print(client.chat.completions.create(model="{market.ModelName}", messages=[{"{"}"role": "user", "content": "Once upon a time"{"}"}]).choices[0].message.content)

                    Other clients: Responses ({url}/v1/responses), embeddings ({url}/v1/embeddings);
                    Anthropic's SDKs and tools with ANTHROPIC_BASE_URL={url} ANTHROPIC_API_KEY={market.ApiKey}

                    Pin a jurisdiction: add "provider": {"{"}"jurisdictions": ["SG"]{"}"} to the body.
                    Cut a cable (routes and the emulated delays follow at once):
                      ENTREPOT_URL={url} ENTREPOT_ADMIN_KEY={market.AdminKey} entrepot network cut seamewe-6
                    Ctrl-C stops everything.
                    """);
                Console.WriteLine($"ready: exchange on {url}");
                await shutdown.WaitAsync(ct).ConfigureAwait(false);
                Console.WriteLine("stopping the demo market ...");
            }

            return 0;
        });
        return cmd;
    }
}
