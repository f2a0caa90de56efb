using System.Net;
using System.Net.Sockets;
using Entrepot.Cli;

namespace Entrepot.EndToEnd.Tests;

/// <summary>
/// Every command, given a bad argument, a missing or unreadable file, a bad configuration, a port in
/// use or a URL nobody answers, says in one line what is wrong (naming the option, file or field) and
/// exits 64; never a stack trace (those only with --verbose). Verdict codes stay as documented:
/// `policy check` exits 2 for deny, and an unknown country is an error, never a verdict.
/// </summary>
public sealed class CliErrorTests
{
    private static readonly string Dir = Directory.CreateTempSubdirectory("entrepot-cli-errors-").FullName;
    private static readonly TcpListener Busy = Listen();

    private static TcpListener Listen()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        File.WriteAllText(Path.Combine(Dir, "bad.json"), "{\n  \"exchange\": {\n");
        File.WriteAllText(Path.Combine(Dir, "field.json"), """{"accounts":[{"id":"a","keys":["short"]}],"providers":[]}""");
        File.WriteAllText(Path.Combine(Dir, "exporter-field.json"), """{"node":{"id":"x","jurisdiction":"ZZZZZZZZ","port":1},"engine":{"kind":"embedded"}}""");
        return l;
    }

    /// <summary>A loopback port where nothing listens (taken from the OS, then let go).</summary>
    private static int Closed()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string BusyPort => ((IPEndPoint)Busy.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string[], string> BadInputs() => new()
    {
        { ["demo", "--api-key", "short"], "--api-key must be at least 16 characters" },
        { ["demo", "--admin-key", "short"], "--admin-key must be at least 16 characters" },
        { ["demo", "--model", Path.Combine(Dir, "none.gguf")], "none.gguf: file not found" },
        { ["demo", "--port", "nope"], "nope" },
        { ["exchange"], "give --config FILE, or --upstream URL" },
        { ["exchange", "--upstream", "not-a-url"], "--upstream: 'not-a-url' is not an http(s) URL" },
        { ["exchange", "--upstream", $"http://127.0.0.1:{Closed()}/v1"], "cannot reach the server" },
        { ["exchange", "--upstream", $"http://127.0.0.1:{Closed()}/v1", "--model", "m", "--port", BusyPort, "--data-dir", Path.Combine(Dir, "busy")], "address already in use" },
        { ["exchange", "--config", Path.Combine(Dir, "missing.json")], "missing.json: file not found" },
        { ["exchange", "--config", Path.Combine(Dir, "bad.json")], "bad.json line" },
        { ["exchange", "--config", Path.Combine(Dir, "field.json")], "'accounts[0].keys'" },
        { ["exchange", "--config", Dir], Dir },
        { ["exchange", "--upstream", "http://127.0.0.1:1/v1", "--api-key-file", Path.Combine(Dir, "none.key")], "none.key" },
        { ["exporter", "--config", Path.Combine(Dir, "missing.json")], "missing.json: file not found" },
        { ["exporter", "--config", Path.Combine(Dir, "bad.json")], "bad.json line" },
        { ["exporter", "--config", Path.Combine(Dir, "exporter-field.json")], "jurisdiction" },
        { ["policy", "check", "--from", "ZZ", "--to", "QQ"], "--from: 'ZZ' is not a country" },
        { ["policy", "check", "--from", "DE", "--to", "QQ-12"], "--to: 'QQ' is not a country" },
        { ["policy", "check", "--from", "DE", "--to", "Germany"], "--to: 'GERMANY' is not an ISO 3166 code" },
        { ["policy", "check", "--from", "DE"], "--to" },
        { ["policy", "check", "--from", "DE", "--to", "SG", "--date", "2026-13-45"], "--date must be YYYY-MM-DD" },
        { ["policy", "check", "--from", "US", "--to", "CN", "--prior", "bogus=3"], "--prior: 'bogus=3' is not CATEGORY=N" },
        { ["policy", "check", "--from", "US", "--to", "CN", "--prior", "health=-1"], "--prior: 'health=-1' is not CATEGORY=N" },
        { ["policy", "check", "--from", "US", "--to", "CN", "--subjects", "0"], "--subjects: a whole number of people from 1 to 100000" },
        { ["policy", "check", "--from", "DE", "--to", "IN", "--seller-holds", "scc;until=June"], "--seller-holds: 'scc;until=June': until= takes a date" },
        { ["policy", "check", "--from", "CN", "--to", "SG", "--buyer-holds", "cac-security-assessment;where=SG"], "--buyer-holds: 'cac-security-assessment;where=SG': unknown 'where'" },
        { ["policy", "check", "--from", "DE", "--to", "SG", "--text-file", Path.Combine(Dir, "none.txt")], "none.txt does not exist" },
        { ["policy", "check", "--from", "DE", "--to", "SG", "--data-class", "secretish"], "--data-class" },
        { ["policy", "diff", Dir, Dir, "--replay", Path.Combine(Dir, "nowhere")], "nowhere" },
        { ["scan", "--bogus"], "'--bogus'" },
        { ["receipt", "verify", Path.Combine(Dir, "none.json")], "none.json does not exist" },
        { ["ledger", "verify", "--data-dir", Path.Combine(Dir, "nowhere")], "no exchange database" },
        { ["report", "invoice", "--account", "x", "--period", "bad"], "--period must be a month" },
        { ["report", "trade", "--period", "last week"], "--period" },
        { ["network", "rtt", "--from", "XXNOP", "--to", "DEFRA"], "--from: 'XXNOP' is not a location" },
        { ["network", "cut", "aae-1", "--url", "not-a-url", "--admin-key", "kkkkkkkkkkkkkkkkkkkk"], "--url" },
        { ["network", "cut", "aae-1", "--url", $"http://127.0.0.1:{Closed()}/", "--admin-key", "kkkkkkkkkkkkkkkkkkkk"], "cannot reach the exchange" },
        { ["tls", "issue"], "Option '--dir' is required" },
        { ["no-such-command"], "'no-such-command'" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task ABadInput_GetsOneLineNamingIt_AndExit64_NeverAStackTrace(string[] args, string named)
    {
        var (code, output, error) = await EntrepotCli.RunWithInputAsync("", args);
        var all = output + error;
        Assert.True(code == ExitCodes.CannotRun, $"exit {code}, not 64, for entrepot {string.Join(' ', args)}:\n{all}");
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", all, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", all, StringComparison.Ordinal);
        Assert.All(error.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.StartsWith("entrepot", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PolicyCheck_KeepsItsVerdictCodes_AllowIs0_DenyIs2()
    {
        Assert.Equal(0, (await EntrepotCli.RunAsync("policy", "check", "--from", "DE", "--to", "FR")).Code);
        Assert.Equal(2, (await EntrepotCli.RunAsync("policy", "check", "--from", "US", "--to", "HK", "--data-class", "government-related")).Code);
        Assert.Equal(0, (await EntrepotCli.RunAsync("policy", "check", "--from", "XK", "--to", "DE")).Code); // Kosovo (user-assigned XK) exists
        Assert.Equal(0, (await EntrepotCli.RunAsync("policy", "check", "--from", "DE", "--to", "UA-30")).Code); // so does a subdivision (Kyiv)
        Assert.Equal(2, (await EntrepotCli.RunAsync("policy", "check", "--from", "US", "--to", "UA-43")).Code); // Crimea: sanctioned, a verdict
    }

    [Fact]
    public void AnUnexpectedFailure_IsOneLineAndAHint_TheStackTraceOnlyWithVerbose()
    {
        Exception thrown;
        try
        {
            throw new InvalidOperationException("the ledger's tail moved");
        }
        catch (InvalidOperationException e)
        {
            thrown = e;
        }

        using var quiet = new StringWriter();
        Assert.Equal(ExitCodes.CannotRun, CliFailure.Report(thrown, verbose: false, quiet));
        Assert.Equal(
            "entrepot: unexpected error (InvalidOperationException): the ledger's tail moved\nentrepot: run the same command with --verbose for the details.\n",
            quiet.ToString().ReplaceLineEndings("\n"));

        using var loud = new StringWriter();
        CliFailure.Report(thrown, verbose: true, loud);
        Assert.Contains("   at ", loud.ToString(), StringComparison.Ordinal);
        Assert.Contains(nameof(AnUnexpectedFailure_IsOneLineAndAHint_TheStackTraceOnlyWithVerbose), loud.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verbose_IsAcceptedByEveryCommand()
    {
        var (code, output) = await EntrepotCli.RunAsync("policy", "check", "--from", "DE", "--to", "FR", "--verbose");
        Assert.True(code == 0, output);
    }
}
