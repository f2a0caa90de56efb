namespace Entrepot.Exporter.Models;

/// <summary>A GGUF file on disk and how it was found.</summary>
public sealed record ModelFile(string Path, ModelOrigin Origin)
{
    /// <summary>True for the tiny random-weight model written when no real one is at hand: it produces noise.</summary>
    public bool IsRandomWeights => Origin == ModelOrigin.RandomWeights;

    /// <summary>How the file is described wherever it is shown.</summary>
    public string Label => IsRandomWeights
        ? $"{Path} (RANDOM WEIGHTS: a placeholder written offline, its output is noise)"
        : $"{Path} ({Origin.ToString().ToLowerInvariant()})";
}

public enum ModelOrigin
{
    Configured,
    Environment,
    Shared,
    Downloaded,
    RandomWeights,
}
