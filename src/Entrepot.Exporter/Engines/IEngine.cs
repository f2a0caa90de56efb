using Entrepot.Core.Protocol;
using Microsoft.AspNetCore.Http;

namespace Entrepot.Exporter.Engines;

/// <summary>A seller's inference engine behind the exporter node, answering in the OpenAI wire format.</summary>
public interface IEngine : IDisposable
{
    IReadOnlyList<string> Models { get; }

    /// <summary>One line describing the engine, e.g. the model file or the upstream URL.</summary>
    string Description { get; }

    Task ServeAsync(HttpContext ctx, EndpointKind kind, ReadOnlyMemory<byte> body, CancellationToken ct);
}
