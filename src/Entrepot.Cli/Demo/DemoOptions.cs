namespace Entrepot.Cli.Demo;

/// <summary>How to start the demo market.</summary>
public sealed record DemoOptions
{
    public int Port { get; init; } = 8080;
    public string? ApiKey { get; init; }
    public string? AdminKey { get; init; }
    public required string DataDir { get; init; }
    public string? ModelPath { get; init; }

    /// <summary>Per-node changes (tests use them to make a node small or slow).</summary>
    public IReadOnlyDictionary<string, DemoNodeOverride> Nodes { get; init; } = new Dictionary<string, DemoNodeOverride>();

    /// <summary>Multiplies the emulated network delays; 1 is the estimated real round trip.</summary>
    public double DelayScale { get; init; } = 1.0;

    /// <summary>How often the nodes publish their offers to the exchange.</summary>
    public double HeartbeatSeconds { get; init; } = 2;
    public Action<string> Log { get; init; } = _ => { };
}

public sealed record DemoNodeOverride(int? MaxConcurrency = null, int? MaxQueue = null, int? DelayMs = null);
