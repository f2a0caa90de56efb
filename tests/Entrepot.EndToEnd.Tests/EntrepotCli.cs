using System.Diagnostics;

namespace Entrepot.EndToEnd.Tests;

/// <summary>The `entrepot` program as a separate process, the way a user or an operator runs it.</summary>
internal static class EntrepotCli
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "entrepot.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        return start;
    }

    /// <summary>Runs a command to its end (at most a minute), feeding <paramref name="stdin"/>.</summary>
    public static async Task<(int Code, string Out, string Err)> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }

        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await output, await error);
    }

    /// <summary>Runs a command; its exit code and what it wrote to stdout and stderr together.</summary>
    public static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var (code, output, error) = await RunWithInputAsync(null, args);
        return (code, output + error);
    }

    /// <summary>Where started servers' output goes after their ready line (null: discarded).</summary>
    public static string? LogDirectory
    {
        get => s_logs.Value;
        set => s_logs.Value = value;
    }

    private static readonly AsyncLocal<string?> s_logs = new();

    /// <summary>Starts a server command (exchange, exporter) and returns once it printed its ready line.</summary>
    public static Task<Process> StartUntilReadyAsync(params string[] args) => StartUntilReadyAsync(null, args);

    /// <summary>The same, with environment variables set for the process.</summary>
    public static async Task<Process> StartUntilReadyAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = StartInfo(args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var p = Process.Start(info)!;
        p.StandardInput.Close();
        var output = new List<string>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (await p.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.Add(line);
                if (line.Contains("ready", StringComparison.Ordinal))
                {
                    // Keep draining so the child never blocks on a full pipe (into a file, when asked).
                    if (LogDirectory is { } logs)
                    {
                        var file = Path.Combine(logs, $"{args[0]}-{p.Id}.log");
                        _ = Task.Run(async () =>
                        {
                            await using var w = new StreamWriter(file) { AutoFlush = true };
                            foreach (var earlier in output)
                            {
                                await w.WriteLineAsync(earlier); // what it said before it was ready, too
                            }

                            var err = p.StandardError.ReadToEndAsync();
                            while (await p.StandardOutput.ReadLineAsync() is { } more)
                            {
                                await w.WriteLineAsync(more);
                            }

                            await w.WriteAsync(await err);
                        });
                    }
                    else
                    {
                        _ = p.StandardOutput.ReadToEndAsync();
                        _ = p.StandardError.ReadToEndAsync();
                    }

                    return p;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        p.Kill(entireProcessTree: true);
        throw new InvalidOperationException($"entrepot {string.Join(' ', args)} did not start:\n{string.Join('\n', output)}\n{await p.StandardError.ReadToEndAsync()}");
    }
}
