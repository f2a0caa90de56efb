using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Entrepot.EndToEnd.Tests;

/// <summary>The real `entrepot demo` program as a separate process, the way a new user starts it.</summary>
public partial class CliProcessTests
{
    [Fact]
    public async Task Demo_Process_PrintsReady_ServesARequest_StopsCleanlyOnSigterm()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "entrepot.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { exe, "demo", "--port", "0", "--api-key", "ent-process-test-key-000", "--model", SharedModel.Path, "--data-dir", SharedModel.TempDir("cli") },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        try
        {
            string? url = null;
            var output = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (url is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.Add(line);
                var m = ReadyLine().Match(line);
                if (m.Success)
                {
                    url = m.Groups[1].Value;
                }
            }

            Assert.True(url is not null, "no ready line; output was:\n" + string.Join("\n", output));
            Assert.Contains(output, l => l.Contains("curl"));
            Assert.Contains(output, l => l.Contains("from openai import OpenAI"));

            using var http = new HttpClient { BaseAddress = new Uri(url + "/v1/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "ent-process-test-key-000");
            var response = await http.PostChatAsync("""{"model":"stories260k","messages":[{"role":"user","content":"Once upon a time"}],"max_tokens":8}""");
            Assert.Equal(200, (int)response.StatusCode);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(exitWait.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Demo_Process_CtrlCTheMomentItIsReady_StopsCleanly()
    {
        // A signal in the moment after "ready" once went only to the hosts' own console handlers: the
        // servers stopped and the program waited for ever. Under a terminal (Ctrl-C in a pty) that hung
        // two tries in four; with its output piped, as here, the moment is narrower and this did not
        // catch it. It holds the behaviour: three starts, each signalled the instant it is ready.
        for (var round = 0; round < 3; round++)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList = { Path.Combine(AppContext.BaseDirectory, "entrepot.dll"), "demo", "--port", "0", "--model", SharedModel.Path, "--data-dir", SharedModel.TempDir("cli-sigint") },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            try
            {
                var output = new List<string>();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                {
                    output.Add(line);
                    if (ReadyLine().IsMatch(line))
                    {
                        break;
                    }
                }

                Assert.True(output.Count > 0 && ReadyLine().IsMatch(output[^1]), "no ready line; output was:\n" + string.Join("\n", output));
                using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()]))
                {
                    await kill.WaitForExitAsync();
                }

                var rest = process.StandardOutput.ReadToEndAsync();
                using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                await process.WaitForExitAsync(exitWait.Token);
                Assert.Equal(0, process.ExitCode);
                Assert.Contains("stopping the demo market", await rest, StringComparison.Ordinal);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    [GeneratedRegex(@"^ready: exchange on (http://\S+)$")]
    private static partial Regex ReadyLine();
}
