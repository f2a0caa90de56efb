using System.CommandLine;
using System.Runtime.InteropServices;

namespace Entrepot.Cli.Commands;

internal static class CommonOptions
{
    public static Option<int?> Port(string description) => new("--port") { Description = description };

    public static Option<string> DataDir() => new("--data-dir")
    {
        Description = "Directory for the database, keys and downloaded models.",
        DefaultValueFactory = _ => ".entrepot",
    };

    /// <summary>The exchange database under a data dir (or under its exchange/ folder, the demo's
    /// layout); null when there is none. <paramref name="dir"/> is the folder that holds it.</summary>
    public static string? ExchangeDatabase(string dataDir, out string dir)
    {
        dir = dataDir;
        if (!File.Exists(Path.Combine(dir, "exchange.db")) && File.Exists(Path.Combine(dir, "exchange", "exchange.db")))
        {
            dir = Path.Combine(dir, "exchange");
        }

        var path = Path.Combine(dir, "exchange.db");
        return File.Exists(path) ? path : null;
    }

    public static Option<string?> Config(string description) => new("--config") { Description = description };

    /// <summary>Runs until Ctrl-C, SIGINT or SIGTERM, then returns so the caller can stop cleanly.</summary>
    public static async Task WaitForShutdownAsync(CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true; // we shut down ourselves, in order
            stop.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static int Fail(string message)
    {
        Console.Error.WriteLine($"entrepot: {message}");
        return 2;
    }
}
