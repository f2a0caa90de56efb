using Entrepot.Core.Routing;

namespace Entrepot.Core.Protocol;

/// <summary>
/// What the exchange needs to know of a buyer's request to route and meter it, read in one pass
/// over the body. The body itself is forwarded as bytes, not re-serialised.
/// </summary>
public sealed class InferenceRequest
{
    public required EndpointKind Kind { get; init; }
    public required string Model { get; init; }
    public bool Stream { get; init; }

    /// <summary>The buyer asked for a final usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; init; }
    public long? MaxTokens { get; init; }
    private ProviderPreferences _preferences = ProviderPreferences.None;

    public ProviderPreferences Preferences { get => _preferences; init => _preferences = value; }

    /// <summary>The same request with routing preferences given outside its body (the
    /// Entrepot-Provider-Preferences header).</summary>
    public InferenceRequest WithPreferences(ProviderPreferences preferences)
    {
        var copy = (InferenceRequest)MemberwiseClone();
        copy._preferences = preferences;
        return copy;
    }

    /// <summary>The same request with other content (a door's body as a native seller gets it).</summary>
    public InferenceRequest WithContent(PromptContent content)
    {
        var copy = (InferenceRequest)MemberwiseClone();
        copy._content = content;
        return copy;
    }

    /// <summary>True if the body carries a <c>provider</c> object that must not reach the seller.</summary>
    public bool HasProviderObject { get; init; }

    /// <summary>Bytes of the buyer's data (every data field), the input to the token estimator when a
    /// seller reports no usage.</summary>
    public long PromptTextBytes { get; init; }

    /// <summary>The buyer's data in the request: what the border scans and redacts, what the token
    /// counters read, what an engine generates from.</summary>
    public PromptContent Content { get => _content; init => _content = value; }

    private PromptContent _content = PromptContent.Empty;

    /// <summary>Sampling parameters, validated where given (an engine applies them; the exchange
    /// forwards them as sent).</summary>
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public long? Seed { get; init; }
    public long? N { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Embeddings: the vector length asked for, whether vectors go back as base64, and how many inputs.</summary>
    public int? Dimensions { get; init; }
    public bool Base64 { get; init; }
    public int Inputs { get; init; }

    /// <summary>The request offers the model tools (or legacy functions) to call.</summary>
    public bool HasTools { get; init; }

    /// <summary>The request asks for JSON output (<c>response_format</c> json_object or json_schema).</summary>
    public bool StructuredOutput { get; init; }

    /// <summary>The body needs rewriting before it is forwarded (provider object or stream usage option).</summary>
    public bool NeedsRewrite => HasProviderObject || (Stream && !IncludeUsage);
}
