using System.CommandLine;
using Entrepot.Exporter.Hosting;

namespace Entrepot.Cli.Commands;

/// <summary><c>entrepot exporter</c>: serve one exporter node in front of a seller's engine.</summary>
internal static class ExporterCommand
{
    public static Command Create()
    {
        var config = CommonOptions.Config("Exporter node configuration file (JSON); see docs/OPERATIONS.md.");
        var port = CommonOptions.Port("Port to listen on (default: the config file's).");
        var dataDir = CommonOptions.DataDir();
        var cmd = new Command("exporter", "Serve one exporter node in front of an inference engine.") { config, port, dataDir };
        cmd.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(config) is not { } path)
            {
                return CommonOptions.Fail("give --config FILE.");
            }

            try
            {
                using var shutdown = new ShutdownSignal(); // before any host starts
                var cfg = ExporterConfigLoader.Load(path);
                var engine = await ExporterHost.CreateEngineAsync(cfg, pr.GetValue(dataDir)!, Console.WriteLine, ct).ConfigureAwait(false);
                await using var node = ExporterHost.Create(cfg, engine, ownsEngine: true, pr.GetValue(port), dataDir: pr.GetValue(dataDir));
                await node.StartAsync(ct).ConfigureAwait(false);
                Console.WriteLine($"Entrepot exporter {cfg.Node.Id} ({cfg.Node.Jurisdiction}) listening on {node.BaseUrl}: {engine.Description}");
                Console.WriteLine("ready");
                await shutdown.WaitAsync(ct).ConfigureAwait(false);
                Console.WriteLine("stopping");
                return 0;
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException or IOException)
            {
                return CommonOptions.Fail(CliFailure.Describe(e));
            }
        });
        return cmd;
    }
}
