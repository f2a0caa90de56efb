using System.Buffers;
using System.Net.Http.Headers;
using Entrepot.Core.Protocol;

namespace Entrepot.Exporter.Engines;

/// <summary>
/// Any OpenAI-compatible engine (vLLM, SGLang, llama.cpp server, Ollama, a commercial API): the
/// request is passed on as is and the answer streamed back as it arrives.
/// </summary>
public sealed class UpstreamEngine(Uri baseUrl, string? apiKey, IReadOnlyList<string> models) : IEngine
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpMessageInvoker _http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
    });

    private readonly Uri _base = new(baseUrl.AbsoluteUri.TrimEnd('/') + "/");

    public IReadOnlyList<string> Models { get; } = models;
    public string Description => $"upstream OpenAI-compatible engine at {_base}";

    public async Task ServeAsync(EndpointKind kind, ReadOnlyMemory<byte> body, EngineAnswer answer, CancellationToken ct)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(_base, kind.Path()))
        {
            Content = new ReadOnlyMemoryContent(body),
        };
        message.Content.Headers.ContentType = Json;
        if (apiKey is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey);
        }

        HttpResponseMessage upstream;
        try
        {
            upstream = await _http.SendAsync(message, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            await Http.ErrorAsync(answer, 502, new RequestError($"The engine behind this node is unreachable: {e.Message}", null, "engine_unreachable", "api_error")).ConfigureAwait(false);
            return;
        }

        using (upstream)
        {
            answer.Begin((int)upstream.StatusCode, upstream.Content.Headers.ContentType?.ToString() ?? "application/json", upstream.Headers.RetryAfter?.ToString());

            await using var source = await upstream.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int n;
                while ((n = await source.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    await answer.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
