using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Entrepot.EndToEnd.Tests;

/// <summary>What tests that start `entrepot` processes need before they start one: a free loopback
/// port to give it, and its configuration written as a file.</summary>
internal static class ProcessSetup
{
    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
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
