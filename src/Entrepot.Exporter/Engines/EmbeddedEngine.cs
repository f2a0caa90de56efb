using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Entrepot.Core.Protocol;

namespace Entrepot.Exporter.Engines;

/// <summary>Serves the OpenAI endpoints from an <see cref="EmbeddedModel"/>, streaming or whole.</summary>
public sealed class EmbeddedEngine(EmbeddedModel model, bool ownsModel = true) : IEngine
{
    public IReadOnlyList<string> Models { get; } = [model.Name];
    public string Description => $"embedded LLamaSharp, model '{model.Name}' from {model.File.Label}";
    public EmbeddedModel Model => model;

    public async Task ServeAsync(EndpointKind kind, ReadOnlyMemory<byte> body, EngineAnswer answer, CancellationToken ct)
    {
        if (kind == EndpointKind.Embeddings)
        {
            await EmbedAsync(answer, body, ct).ConfigureAwait(false);
            return;
        }

        var request = GenerationRequestReader.Read(body.Span, kind, out var error);
        if (await RefusedAsync(answer, request?.Model, error).ConfigureAwait(false) || request is null)
        {
            return;
        }

        var id = (kind == EndpointKind.ChatCompletions ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N")[..24];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var chunks = new ChunkWriter(kind, id, created, model.Name);
        try
        {
            if (request.Stream)
            {
                await StreamAsync(answer, request, chunks, ct).ConfigureAwait(false);
            }
            else
            {
                await WholeAsync(answer, request, chunks, ct).ConfigureAwait(false);
            }
        }
        catch (PromptTooLongException e) when (!answer.Started)
        {
            await Http.ErrorAsync(answer, 400, new RequestError(e.Message, kind == EndpointKind.ChatCompletions ? "messages" : "prompt", "context_length_exceeded")).ConfigureAwait(false);
        }
    }

    private async Task WholeAsync(EngineAnswer answer, GenerationRequest request, ChunkWriter chunks, CancellationToken ct)
    {
        var text = new System.Text.StringBuilder();
        GenerationResult? result = null;
        await foreach (var item in model.GenerateAsync(request, ct).ConfigureAwait(false))
        {
            if (item is string piece)
            {
                text.Append(piece);
            }
            else
            {
                result = (GenerationResult)item;
            }
        }

        answer.Begin(200, "application/json");
        chunks.WriteWhole(answer.Body, text.ToString(), result!);
        await answer.FlushAsync(ct).ConfigureAwait(false);
    }

    private async Task StreamAsync(EngineAnswer answer, GenerationRequest request, ChunkWriter chunks, CancellationToken ct)
    {
        var writer = answer.Body;
        var started = false;
        await foreach (var item in model.GenerateAsync(request, ct).ConfigureAwait(false))
        {
            if (!started)
            {
                // Headers go out with the first piece, so a prompt that is too long can still get a 400.
                answer.Begin(200, "text/event-stream");
                writer = answer.Body;
                chunks.WriteDelta(writer, null, null, first: true);
                started = true;
            }

            if (item is string piece)
            {
                chunks.WriteDelta(writer, piece, null, first: false);
                await answer.FlushAsync(ct).ConfigureAwait(false);
                continue;
            }

            var result = (GenerationResult)item;
            chunks.WriteDelta(writer, null, result.FinishReason, first: false);
            if (request.IncludeUsage)
            {
                chunks.WriteUsage(writer, result);
            }

            Http.Write(writer, "data: [DONE]\n\n"u8);
            await answer.FlushAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Answers a request that could not be read (400, <paramref name="requested"/> null) or
    /// that names another model (404); false when this engine may serve it.</summary>
    private async Task<bool> RefusedAsync(EngineAnswer answer, string? requested, RequestError? error)
    {
        if (requested is null)
        {
            await Http.ErrorAsync(answer, 400, error!).ConfigureAwait(false);
            return true;
        }

        if (!string.Equals(requested, model.Name, StringComparison.Ordinal))
        {
            await Http.ErrorAsync(answer, 404, new RequestError($"The model '{requested}' is not served here; this node serves '{model.Name}'.", "model", "model_not_found")).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>/v1/embeddings from the model's own hidden states: vectors as floats or, as OpenAI's
    /// clients ask by default, base64 of little-endian float32.</summary>
    private async Task EmbedAsync(EngineAnswer answer, ReadOnlyMemory<byte> body, CancellationToken ct)
    {
        var request = InferenceRequestParser.Parse(body.Span, EndpointKind.Embeddings, out var error);
        if (await RefusedAsync(answer, request?.Model, error).ConfigureAwait(false) || request is null)
        {
            return;
        }

        if (request.Content.Unscanned.Count > 0)
        {
            await Http.ErrorAsync(answer, 400, new RequestError("This engine embeds text: send 'input' as strings, not token ids.", "input", "token_input_not_supported")).ConfigureAwait(false);
            return;
        }

        if (request.Dimensions is not null)
        {
            await Http.ErrorAsync(answer, 400, new RequestError("This engine's vectors have one length: leave out 'dimensions'.", "dimensions", "dimensions_not_supported")).ConfigureAwait(false);
            return;
        }

        float[][] vectors;
        long tokens;
        try
        {
            (vectors, tokens) = await model.EmbedAsync(request.Content.Texts, ct).ConfigureAwait(false);
        }
        catch (InputTooLongException e)
        {
            await Http.ErrorAsync(answer, 400, new RequestError(e.Message, e.Param, "context_length_exceeded")).ConfigureAwait(false);
            return;
        }

        answer.Begin(200, "application/json");
        using (var w = new Utf8JsonWriter(answer.Body))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (var i = 0; i < vectors.Length; i++)
            {
                w.WriteStartObject();
                w.WriteString("object", "embedding");
                w.WriteNumber("index", i);
                if (request.Base64)
                {
                    w.WriteString("embedding", Convert.ToBase64String(LittleEndian(vectors[i])));
                }
                else
                {
                    w.WriteStartArray("embedding");
                    foreach (var x in vectors[i])
                    {
                        w.WriteNumberValue(x);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteString("model", model.Name);
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", tokens);
            w.WriteNumber("total_tokens", tokens);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        await answer.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The vector's float32 values as little-endian bytes, whatever this machine's order.</summary>
    private static byte[] LittleEndian(float[] vector)
    {
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        return bytes;
    }

    public void Dispose()
    {
        if (ownsModel)
        {
            model.Dispose();
        }
    }

    /// <summary>Formats OpenAI chat and text completion objects and stream chunks.</summary>
    private sealed class ChunkWriter(EndpointKind kind, string id, long created, string modelName)
    {
        private bool IsChat => kind == EndpointKind.ChatCompletions;

        public void WriteDelta(IBufferWriter<byte> output, string? content, string? finishReason, bool first)
        {
            if (!IsChat && first)
            {
                return;
            }

            Http.Write(output, "data: "u8);
            using (var w = new Utf8JsonWriter(output))
            {
                Header(w, IsChat ? "chat.completion.chunk" : "text_completion");
                w.WriteStartArray("choices");
                w.WriteStartObject();
                w.WriteNumber("index", 0);
                if (IsChat)
                {
                    w.WriteStartObject("delta");
                    if (first)
                    {
                        w.WriteString("role", "assistant");
                        w.WriteString("content", "");
                    }
                    else if (content is not null)
                    {
                        w.WriteString("content", content);
                    }

                    w.WriteEndObject();
                }
                else
                {
                    w.WriteString("text", content ?? "");
                }

                w.WriteNull("logprobs");
                if (finishReason is null)
                {
                    w.WriteNull("finish_reason");
                }
                else
                {
                    w.WriteString("finish_reason", finishReason);
                }

                w.WriteEndObject();
                w.WriteEndArray();
                w.WriteEndObject();
            }

            Http.Write(output, "\n\n"u8);
        }

        public void WriteUsage(IBufferWriter<byte> output, GenerationResult result)
        {
            Http.Write(output, "data: "u8);
            using (var w = new Utf8JsonWriter(output))
            {
                Header(w, IsChat ? "chat.completion.chunk" : "text_completion");
                w.WriteStartArray("choices");
                w.WriteEndArray();
                Usage(w, result);
                w.WriteEndObject();
            }

            Http.Write(output, "\n\n"u8);
        }

        public void WriteWhole(IBufferWriter<byte> output, string text, GenerationResult result)
        {
            using var w = new Utf8JsonWriter(output);
            Header(w, IsChat ? "chat.completion" : "text_completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            if (IsChat)
            {
                w.WriteStartObject("message");
                w.WriteString("role", "assistant");
                w.WriteString("content", text);
                w.WriteEndObject();
            }
            else
            {
                w.WriteString("text", text);
            }

            w.WriteNull("logprobs");
            w.WriteString("finish_reason", result.FinishReason);
            w.WriteEndObject();
            w.WriteEndArray();
            Usage(w, result);
            w.WriteEndObject();
        }

        private void Header(Utf8JsonWriter w, string objectType)
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", objectType);
            w.WriteNumber("created", created);
            w.WriteString("model", modelName);
            w.WriteString("system_fingerprint", "entrepot-embedded");
        }

        private static void Usage(Utf8JsonWriter w, GenerationResult result)
        {
            w.WriteStartObject("usage");
            w.WriteNumber("prompt_tokens", result.PromptTokens);
            w.WriteNumber("completion_tokens", result.CompletionTokens);
            w.WriteNumber("total_tokens", result.PromptTokens + result.CompletionTokens);
            w.WriteEndObject();
        }
    }
}
