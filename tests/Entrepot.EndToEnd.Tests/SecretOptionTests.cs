using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Entrepot.Tests;

namespace Entrepot.EndToEnd.Tests;

/// <summary>Keys given to `entrepot` never need to be on its command line, where every user of the
/// machine sees them in ps: a file or an environment variable does the same.</summary>
public class SecretOptionTests
{
    [Fact]
    public async Task KeysFromFilesAndTheEnvironment_Work_AndNeverAppearOnTheCommandLine()
    {
        await using var upstream = await RogueSeller.StartAsync("upstream");
        var dir = SharedModel.TempDir("secret-options");
        const string buyerKey = "ent-buyer-key-from-a-file-000001";
        const string adminKey = "ent-admin-key-from-a-file-000001";
        await File.WriteAllTextAsync(Path.Combine(dir, "buyer.key"), buyerKey + "\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "admin.key"), adminKey + "\n");
        var port = ProcessSetup.FreePort();
        var exchange = await EntrepotCli.StartUntilReadyAsync("exchange", "--upstream", upstream.V1.AbsoluteUri, "--model", "m", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--data-dir", Path.Combine(dir, "a"), "--api-key-file", Path.Combine(dir, "buyer.key"), "--admin-key-file", Path.Combine(dir, "admin.key"));
        try
        {
            var commandLine = await File.ReadAllTextAsync($"/proc/{exchange.Id}/cmdline");
            Assert.DoesNotContain(buyerKey, commandLine, StringComparison.Ordinal);
            Assert.DoesNotContain(adminKey, commandLine, StringComparison.Ordinal);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", buyerKey);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("v1/chat/completions", new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"))).StatusCode);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("admin/providers")).StatusCode);
        }
        finally
        {
            exchange.Kill(entireProcessTree: true);
            await exchange.WaitForExitAsync();
        }

        port = ProcessSetup.FreePort();
        var fromEnv = await EntrepotCli.StartUntilReadyAsync(new Dictionary<string, string> { ["ENTREPOT_API_KEY"] = buyerKey, ["ENTREPOT_ADMIN_KEY"] = adminKey },
            "exchange", "--upstream", upstream.V1.AbsoluteUri, "--model", "m", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", Path.Combine(dir, "b"));
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("admin/providers")).StatusCode);
        }
        finally
        {
            fromEnv.Kill(entireProcessTree: true);
            await fromEnv.WaitForExitAsync();
        }

        var missing = await EntrepotCli.RunAsync("exchange", "--upstream", upstream.V1.AbsoluteUri, "--model", "m", "--api-key-file", Path.Combine(dir, "nope.key"));
        Assert.Equal(64, missing.Code);
        Assert.Contains("nope.key", missing.Output, StringComparison.Ordinal);
    }
}
