using System.Net;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// One pooled HTTP client for all sellers. A plain <see cref="SocketsHttpHandler"/> loop measured
/// faster here than YARP's forwarder (see docs/PERFORMANCE.md); no proxy, cookies or decompression,
/// so bytes pass through untouched.
/// </summary>
public static class UpstreamClient
{
    public static HttpMessageInvoker Create() => new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        PooledConnectionLifetime = TimeSpan.FromMinutes(10),
        MaxConnectionsPerServer = 1024,
        EnableMultipleHttp2Connections = true,
    }, disposeHandler: true);
}
