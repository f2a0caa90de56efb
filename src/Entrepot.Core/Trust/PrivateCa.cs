using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Entrepot.Core.Trust;

/// <summary>
/// A deployment's own certificate authority for the exchange-to-exporter links: an ECDSA P-256 root
/// kept in a directory (<c>ca.crt</c>, <c>ca.key</c> with owner-only permissions) that issues node
/// certificates for the names and addresses a node is reached by. The exchange trusts this root for
/// its sellers' TLS (on top of the system's roots), so no public CA is involved between the two.
/// </summary>
public sealed class PrivateCa : IDisposable
{
    public const string CertificateFile = "ca.crt";
    public const string KeyFile = "ca.key";

    private PrivateCa(X509Certificate2 certificate) => Certificate = certificate;

    /// <summary>The root certificate (with its private key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Loads the CA in <paramref name="dir"/>, creating it on first use.</summary>
    public static PrivateCa LoadOrCreate(string dir, string name = "Entrepot private CA")
    {
        var cert = Path.Combine(dir, CertificateFile);
        var key = Path.Combine(dir, KeyFile);
        if (File.Exists(cert) && File.Exists(key))
        {
            return new PrivateCa(X509Certificate2.CreateFromPemFile(cert, key));
        }

        Directory.CreateDirectory(dir);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), ecdsa, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var root = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
        SecretFile.Create(key, System.Text.Encoding.ASCII.GetBytes(ecdsa.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(cert, root.ExportCertificatePem());
        return new PrivateCa(root);
    }

    /// <summary>
    /// Issues a certificate for a node reachable at <paramref name="hosts"/> (DNS names or IP
    /// addresses), valid for a year, usable for TLS server and client authentication; writes
    /// <c>NAME.crt</c> (the certificate followed by the CA's) and <c>NAME.key</c> into <paramref name="dir"/>.
    /// </summary>
    public (string CertificatePath, string KeyPath) Issue(string name, IReadOnlyCollection<string> hosts, string dir)
    {
        if (hosts.Count == 0)
        {
            throw new ArgumentException("a node certificate needs at least one host name or address", nameof(hosts));
        }

        Directory.CreateDirectory(dir);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + name), ecdsa, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var h in hosts)
        {
            if (IPAddress.TryParse(h, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else
            {
                san.AddDnsName(h);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Certificate, now.AddMinutes(-5), now.AddYears(1), serial);
        var certPath = Path.Combine(dir, name + ".crt");
        var keyPath = Path.Combine(dir, name + ".key");
        File.Delete(keyPath);
        SecretFile.Create(keyPath, System.Text.Encoding.ASCII.GetBytes(ecdsa.ExportPkcs8PrivateKeyPem()));
        File.WriteAllText(certPath, issued.ExportCertificatePem() + "\n" + Certificate.ExportCertificatePem() + "\n");
        return (certPath, keyPath);
    }

    /// <summary>
    /// Whether <paramref name="presented"/> chains to <paramref name="root"/> (and nothing else is
    /// wrong with it but its issuer being unknown to the system): the check a client that trusts this
    /// CA applies to a server's certificate.
    /// </summary>
    public static bool Validates(X509Certificate2 root, X509Certificate2 presented, X509Chain? presentedChain)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presentedChain is not null)
        {
            foreach (var e in presentedChain.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(e.Certificate);
            }
        }

        return chain.Build(presented);
    }

    public void Dispose() => Certificate.Dispose();
}
