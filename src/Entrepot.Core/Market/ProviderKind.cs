namespace Entrepot.Core.Market;

/// <summary>What sits behind a provider's base URL.</summary>
public enum ProviderKind
{
    /// <summary>An Entrepot exporter node in front of a seller's engine.</summary>
    Exporter,

    /// <summary>Any plain OpenAI-compatible endpoint: vLLM, Ollama, llama.cpp server, a commercial API.</summary>
    OpenAI,
}
