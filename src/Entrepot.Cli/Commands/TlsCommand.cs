using System.CommandLine;
using Entrepot.Core.Trust;

namespace Entrepot.Cli.Commands;

/// <summary>
/// <c>entrepot tls ca --dir DIR</c> creates a deployment's private CA; <c>entrepot tls issue --dir DIR
/// --name NODE --host H...</c> issues a node certificate from it. The exchange trusts the CA with
/// <c>exchange.tls_ca_file</c>; a node serves HTTPS with <c>tls.cert_file</c> and <c>tls.key_file</c>.
/// </summary>
internal static class TlsCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "The CA's directory (ca.crt, ca.key; node certificates are written here too).", Required = true };
        var caName = new Option<string>("--name") { Description = "The CA's common name.", DefaultValueFactory = _ => "Entrepot private CA" };
        var ca = new Command("ca", "Create a private CA for exchange-to-exporter TLS (kept if it exists).") { dir, caName };
        ca.SetAction(pr =>
        {
            var path = Path.GetFullPath(pr.GetValue(dir)!);
            bool existed = File.Exists(Path.Combine(path, PrivateCa.CertificateFile));
            using var authority = PrivateCa.LoadOrCreate(path, pr.GetValue(caName)!);
            Console.WriteLine($"{(existed ? "existing" : "created")} CA {authority.Certificate.Subject}, valid until {authority.Certificate.NotAfter:yyyy-MM-dd}: {Path.Combine(path, PrivateCa.CertificateFile)}");
            return 0;
        });

        var issueDir = new Option<string>("--dir") { Description = "The CA's directory.", Required = true };
        var name = new Option<string>("--name") { Description = "The node's name (file names NAME.crt and NAME.key).", Required = true };
        var hosts = new Option<string[]>("--host") { Description = "A DNS name or IP address the node is reached by (repeat for more).", Required = true, AllowMultipleArgumentsPerToken = true };
        var issue = new Command("issue", "Issue a node certificate from the private CA.") { issueDir, name, hosts };
        issue.SetAction(pr =>
        {
            var path = Path.GetFullPath(pr.GetValue(issueDir)!);
            if (!File.Exists(Path.Combine(path, PrivateCa.CertificateFile)))
            {
                return CommonOptions.Fail($"no CA in {path}: create one with `entrepot tls ca --dir {path}`.");
            }

            var node = pr.GetValue(name)!;
            if (node.Length == 0 || node.IndexOfAny(['/', '\\', '.']) >= 0)
            {
                return CommonOptions.Fail("--name must be a plain name (no path separators or dots).");
            }

            using var authority = PrivateCa.LoadOrCreate(path);
            var (cert, key) = authority.Issue(node, pr.GetValue(hosts)!, path);
            Console.WriteLine($"issued {node} for {string.Join(", ", pr.GetValue(hosts)!)}: {cert} (key {key})");
            return 0;
        });
        return new Command("tls", "A private CA and node certificates for exchange-to-exporter TLS.") { ca, issue };
    }
}
