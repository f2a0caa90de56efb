using System.Security.Cryptography.X509Certificates;

namespace Entrepot.EndToEnd.Tests;

/// <summary>`entrepot tls ca` and `entrepot tls issue` as an operator runs them: a private CA, kept on
/// a second run, and a node certificate for its hosts that chains to that CA and to nothing else,
/// with its private key readable by the owner only.</summary>
public sealed class TlsCliTests
{
    [Fact]
    public async Task TheCaAndANodeCertificate_AreWritten_TheCertificateChainsToTheCa_ForItsHosts()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-tls-cli-").FullName;
        var (code, output) = await EntrepotCli.RunAsync("tls", "ca", "--dir", dir);
        Assert.True(code == 0, output);
        Assert.StartsWith("created CA", output, StringComparison.Ordinal);
        var caBytes = await File.ReadAllBytesAsync(Path.Combine(dir, "ca.crt"));
        (code, output) = await EntrepotCli.RunAsync("tls", "ca", "--dir", dir);
        Assert.True(code == 0, output);
        Assert.StartsWith("existing CA", output, StringComparison.Ordinal);
        Assert.Equal(caBytes, await File.ReadAllBytesAsync(Path.Combine(dir, "ca.crt"))); // kept, not replaced

        (code, output) = await EntrepotCli.RunAsync("tls", "issue", "--dir", dir, "--name", "sg-1", "--host", "127.0.0.1", "sg-1.example.internal");
        Assert.True(code == 0, output);
        using var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(dir, "ca.crt"));
        using var node = X509Certificate2.CreateFromPemFile(Path.Combine(dir, "sg-1.crt"), Path.Combine(dir, "sg-1.key"));
        Assert.True(node.HasPrivateKey);
        Assert.True(node.MatchesHostname("127.0.0.1"));
        Assert.True(node.MatchesHostname("sg-1.example.internal"));
        Assert.False(node.MatchesHostname("other.example.internal"));
        Assert.True(OnlyChainsTo(node, ca));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "sg-1.key")));
        }

        // Another CA does not vouch for it.
        var other = Directory.CreateTempSubdirectory("entrepot-tls-other-").FullName;
        Assert.Equal(0, (await EntrepotCli.RunAsync("tls", "ca", "--dir", other)).Code);
        using var otherCa = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(other, "ca.crt"));
        Assert.False(OnlyChainsTo(node, otherCa));

        // Issuing without a CA says how to make one.
        var empty = Directory.CreateTempSubdirectory("entrepot-tls-none-").FullName;
        (code, output) = await EntrepotCli.RunAsync("tls", "issue", "--dir", empty, "--name", "x", "--host", "127.0.0.1");
        Assert.Equal(64, code);
        Assert.Contains("entrepot tls ca --dir", output, StringComparison.Ordinal);
    }

    private static bool OnlyChainsTo(X509Certificate2 leaf, X509Certificate2 root)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
