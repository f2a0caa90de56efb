namespace Entrepot.Core.Protocol;

/// <summary>The OpenAI generation endpoints the exchange relays.</summary>
public enum EndpointKind
{
    ChatCompletions,
    Completions,
}

public static class EndpointKindExtensions
{
    public static string Path(this EndpointKind kind) =>
        kind == EndpointKind.ChatCompletions ? "chat/completions" : "completions";
}
