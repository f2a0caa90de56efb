namespace Entrepot.Exporter.Engines;

/// <summary>A generation request as the embedded engine understands it, validated.</summary>
public sealed record GenerationRequest
{
    public required string Model { get; init; }
    public required IReadOnlyList<(string Role, string Content)> Messages { get; init; }

    /// <summary>For /v1/completions: the raw prompt, used as is.</summary>
    public string? Prompt { get; init; }
    public int? MaxTokens { get; init; }
    public float Temperature { get; init; } = 1.0f;
    public float TopP { get; init; } = 1.0f;
    public uint? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
}
