using System.Diagnostics;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// The official <c>openai</c> and <c>@anthropic-ai/sdk</c> npm clients against the demo market, in
/// one Node test (tests/node/doors.test.mjs): each door plain, streamed, a tool call round trip, an
/// image part and an error. The tool and image cases go to a seller whose model calls tools, in the
/// buyer's own jurisdiction (an image is content the border cannot read).
/// </summary>
public class NodeClientsTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [SkippableFact]
    public async Task OfficialTypeScriptClients_PassEveryDoorCase()
    {
        var dir = Path.Combine(RepoRoot(), "tests", "node");
        Skip.If(FindOnPath("node") is null, "Node.js is not installed (test.sh installs it with apt-get as root)");
        Skip.IfNot(Directory.Exists(Path.Combine(dir, "node_modules")), "tests/node has no node_modules (test.sh runs npm ci there)");
        await using var seller = await ToolSeller.StartAsync();
        await seller.OfferAsync(demo, "de-tools-node", "DE");

        var run = new ProcessStartInfo("node", ["--test", "--test-reporter=tap", "doors.test.mjs"])
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        run.Environment["ENTREPOT_URL"] = demo.Market.Exchange.BaseUrl.AbsoluteUri.TrimEnd('/');
        run.Environment["ENTREPOT_KEY"] = DemoFixture.ApiKey;
        run.Environment["ENTREPOT_MODEL_NAME"] = demo.Market.ModelName;
        run.Environment["ENTREPOT_TOOLS_MODEL"] = ToolSeller.Model;
        using var node = Process.Start(run)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await node.WaitForExitAsync(deadline.Token);
        var report = await output + await errors;
        Assert.True(node.ExitCode == 0, report);
        Assert.Contains("# pass 12", report, StringComparison.Ordinal);
        Assert.Contains("# fail 0", report, StringComparison.Ordinal);
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Entrepot.slnx")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("the repository root was not found above " + AppContext.BaseDirectory);
        }

        return dir;
    }
}
