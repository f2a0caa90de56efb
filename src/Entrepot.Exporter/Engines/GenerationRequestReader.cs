using Entrepot.Core.Protocol;

namespace Entrepot.Exporter.Engines;

/// <summary>
/// A chat or completions request as the embedded engine takes it: read by the request reader every
/// part of Entrepot shares (<see cref="InferenceRequestParser"/>), then held to what this engine can
/// do (one choice, up to four stop sequences, a single prompt, text only, no tools).
/// </summary>
public static class GenerationRequestReader
{
    public static GenerationRequest? Read(ReadOnlySpan<byte> body, EndpointKind kind, out RequestError? error)
    {
        var request = InferenceRequestParser.Parse(body, kind, out error);
        if (request is null)
        {
            return null;
        }

        var content = request.Content;
        string? prompt = null;
        if (kind == EndpointKind.Completions)
        {
            if (content.Texts.Count != 1)
            {
                return Fail(out error, "'prompt' must be one string (arrays of prompts and token ids are not supported by the embedded engine).", "prompt");
            }

            prompt = content.Texts[0];
        }

        if (request.HasTools)
        {
            return Fail(out error, "This engine does not call tools: send the request without 'tools' (or to a seller whose model calls them).", "tools");
        }

        if (request.StructuredOutput)
        {
            return Fail(out error, "This engine does not constrain its output to JSON: send the request without a JSON 'response_format' (or to a seller whose model supports it).", "response_format");
        }

        if (content.Unscanned.Count > 0)
        {
            // It reads text only: an image, audio or file would be silently ignored, so it is refused.
            var part = content.Unscanned[0];
            var at = part.Message >= 0 ? $"messages[{part.Message}].content" : "input";
            return Fail(out error, $"This engine reads text only: the {part.Kind} part in '{at}' cannot be served here.", at);
        }

        if (request.MaxTokens > int.MaxValue)
        {
            return Fail(out error, "'max_tokens' is too large.", "max_tokens");
        }

        if (request.N is { } n && n != 1)
        {
            return Fail(out error, "'n' must be 1: the embedded engine generates one choice per request.", "n");
        }

        if (request.Stop.Count > 4 || request.Stop.Any(x => x.Length == 0))
        {
            return Fail(out error, "'stop' must be a string or an array of up to 4 non-empty strings.", "stop");
        }

        return new GenerationRequest
        {
            Model = request.Model,
            Messages = content.Messages.Select(m => (m.Role, content.ContentOf(m))).ToList(),
            Prompt = prompt,
            MaxTokens = (int?)request.MaxTokens,
            Temperature = (float)(request.Temperature ?? 1.0),
            TopP = (float)(request.TopP ?? 1.0),
            Seed = request.Seed is { } seed ? unchecked((uint)seed) : null,
            Stop = request.Stop,
            Stream = request.Stream,
            IncludeUsage = request.IncludeUsage,
        };
    }

    private static GenerationRequest? Fail(out RequestError? error, string message, string? param)
    {
        error = new RequestError(message, param);
        return null;
    }
}
