namespace Entrepot.Core.Protocol;

/// <summary>The OpenAI endpoints the exchange relays to sellers.</summary>
public enum EndpointKind
{
    ChatCompletions,
    Completions,
    Embeddings,
}

public static class EndpointKindExtensions
{
    public static string Path(this EndpointKind kind) => kind switch
    {
        EndpointKind.ChatCompletions => "chat/completions",
        EndpointKind.Embeddings => "embeddings",
        _ => "completions",
    };
}
