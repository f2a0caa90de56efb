using System.Collections.Concurrent;

namespace Entrepot.Core.Metering;

/// <summary>
/// Which counter the exchange uses for each model: the configuration's choice where it names one
/// (<c>exchange.tokenizers</c>: "estimate", "tiktoken:ENCODING", or a kind another part of the
/// program adds, such as "gguf:PATH"), else the tiktoken encoding of an OpenAI model name, else the
/// estimate. Counters are made once per spec and shared.
/// </summary>
public sealed class TokenCounters
{
    private readonly IReadOnlyDictionary<string, ITokenCounter> _configured;
    private readonly ConcurrentDictionary<string, ITokenCounter> _byEncoding = new(StringComparer.Ordinal);

    public TokenCounters(IReadOnlyDictionary<string, ITokenCounter>? configured = null, bool knowOpenAIModels = true)
    {
        _configured = configured ?? new Dictionary<string, ITokenCounter>();
        KnowsOpenAIModels = knowOpenAIModels;
    }

    /// <summary>Whether OpenAI model names get their tiktoken encoding without being configured.</summary>
    public bool KnowsOpenAIModels { get; }

    public static readonly TokenCounters EstimateOnly = new(null, knowOpenAIModels: false);

    public ITokenCounter For(string model)
    {
        if (_configured.TryGetValue(model, out var c) || _byModel.TryGetValue(model, out c))
        {
            return c;
        }

        c = KnowsOpenAIModels && TiktokenCounter.EncodingOf(model) is { } encoding
            ? _byEncoding.GetOrAdd(encoding, e => new TiktokenCounter(e))
            : EstimatingTokenCounter.Instance;
        if (_byModel.Count < MaxRemembered)
        {
            _byModel.TryAdd(model, c); // model names come from buyers: only so many are remembered
        }

        return c;
    }

    private const int MaxRemembered = 1024;
    private readonly ConcurrentDictionary<string, ITokenCounter> _byModel = new(StringComparer.Ordinal);

    /// <summary>
    /// The counter a spec names: "estimate", "tiktoken:o200k_base" (or cl100k_base, or an OpenAI
    /// model name), or "KIND:ARGUMENT" for a kind in <paramref name="kinds"/>. Null with the
    /// problem when the spec is not understood.
    /// </summary>
    public static ITokenCounter? Parse(string spec, IReadOnlyDictionary<string, Func<string, ITokenCounter>>? kinds, out string? error)
    {
        error = null;
        if (spec == "estimate")
        {
            return EstimatingTokenCounter.Instance;
        }

        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? spec : spec[..colon];
        var argument = colon < 0 ? "" : spec[(colon + 1)..];
        if (kind == "tiktoken")
        {
            var encoding = argument is "o200k_base" or "cl100k_base" ? argument : TiktokenCounter.EncodingOf(argument);
            if (encoding is null)
            {
                error = $"'{spec}': tiktoken knows o200k_base and cl100k_base (or an OpenAI model name).";
                return null;
            }

            return new TiktokenCounter(encoding);
        }

        if (kinds is not null && kinds.TryGetValue(kind, out var make) && argument.Length > 0)
        {
            try
            {
                return make(argument);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or InvalidOperationException)
            {
                error = $"'{spec}': {e.Message}";
                return null;
            }
        }

        var known = new List<string> { "estimate", "tiktoken:ENCODING" };
        known.AddRange((kinds?.Keys ?? []).Select(k => k + ":PATH"));
        error = $"'{spec}' is not a tokenizer this exchange knows ({string.Join(", ", known)}).";
        return null;
    }
}
