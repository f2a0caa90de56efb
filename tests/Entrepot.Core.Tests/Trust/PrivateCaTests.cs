using System.Security.Cryptography.X509Certificates;
using Entrepot.Core.Trust;

namespace Entrepot.Core.Tests.Trust;

public class PrivateCaTests
{
    [Fact]
    public void IssuedCertificate_ChainsToItsCa_NotToAnother_KeysOwnerOnly()
    {
        var dir = Directory.CreateTempSubdirectory("entrepot-ca-").FullName;
        using var ca = PrivateCa.LoadOrCreate(dir);
        var (certFile, keyFile) = ca.Issue("node-1", ["127.0.0.1", "node-1.internal"], dir);
        using var node = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        Assert.True(node.HasPrivateKey);
        Assert.True(PrivateCa.Validates(ca.Certificate, node, null));
        Assert.Contains("127.0.0.1", node.GetNameInfo(X509NameType.DnsName, false) + string.Join(",", node.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateIPAddresses()).Select(i => i.ToString())), StringComparison.Ordinal);

        using var other = PrivateCa.LoadOrCreate(Directory.CreateTempSubdirectory("entrepot-ca-").FullName);
        Assert.False(PrivateCa.Validates(other.Certificate, node, null));

        // Reloading keeps the same CA; private keys are readable by the owner only.
        using var again = PrivateCa.LoadOrCreate(dir);
        Assert.Equal(ca.Certificate.Thumbprint, again.Certificate.Thumbprint);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, PrivateCa.KeyFile)));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
    }
}
