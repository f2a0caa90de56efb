using Entrepot.Core.Protocol;

namespace Entrepot.Exporter.Engines;

/// <summary>A seller's inference engine behind the exporter node, answering in the OpenAI wire format.</summary>
public interface IEngine : IDisposable
{
    IReadOnlyList<string> Models { get; }

    /// <summary>One line describing the engine, e.g. the model file or the upstream URL.</summary>
    string Description { get; }

    /// <summary>Answers one request (its body as received) into <paramref name="answer"/>.</summary>
    Task ServeAsync(EndpointKind kind, ReadOnlyMemory<byte> body, EngineAnswer answer, CancellationToken ct);
}
