using System.Net;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// One pooled HTTP client for all sellers. A plain <see cref="SocketsHttpHandler"/> loop measured
/// faster here than YARP's forwarder (see docs/PERFORMANCE.md); no proxy, cookies or decompression,
/// so bytes pass through untouched.
/// </summary>
public static class UpstreamClient
{
    /// <param name="privateCa">A deployment's own CA: a seller certificate that chains to it is
    /// accepted even though no system root knows it; everything else is checked as usual.</param>
    public static HttpMessageInvoker Create(System.Security.Cryptography.X509Certificates.X509Certificate2? privateCa = null) => new(new SocketsHttpHandler
    {
        SslOptions = privateCa is null ? new() : new System.Net.Security.SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                errors == System.Net.Security.SslPolicyErrors.None
                || (errors == System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null
                    && Core.Trust.PrivateCa.Validates(privateCa, System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), chain)),
        },
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        MaxConnectionsPerServer = 1024,
        EnableMultipleHttp2Connections = true,

        // No trace headers to sellers: a buyer's trace ids are not the seller's business across a
        // border, and without a propagator the handler chain skips its diagnostics stage.
        ActivityHeadersPropagator = null,
    }, disposeHandler: true);
}
