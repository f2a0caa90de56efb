using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Entrepot.Tests;

/// <summary>What tests that start `entrepot` processes need before they start one: a free loopback
/// port to give it, and its configuration written as a file.</summary>
internal static class ProcessSetup
{
    // Ports below Linux's ephemeral range (32768-60999), where no outgoing connection can take one
    // between the check and the process's bind; each test process starts at its own random place.
    private static int _next = 20_000 + Random.Shared.Next(0, 10_000);

    /// <summary>A loopback port nothing listens on, below the ephemeral range, not handed out before by this process.</summary>
    public static int FreePort()
    {
        while (true)
        {
            var port = 20_000 + (Interlocked.Increment(ref _next) % 12_000);
            try
            {
                var l = new TcpListener(IPAddress.Loopback, port);
                l.Start();
                l.Stop();
                return port;
            }
            catch (SocketException)
            {
                // taken: the next one
            }
        }
    }

    /// <summary>Writes <paramref name="config"/> as JSON to dir/name and returns the path.</summary>
    public static string WriteConfig(string dir, string name, object config)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, JsonSerializer.Serialize(config));
        return path;
    }
}
