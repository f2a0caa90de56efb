using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Exporter.Models;

namespace Entrepot.Exporter.Engines;

/// <summary>
/// The exchange's count of a GGUF model's tokens, with the model file's own vocabulary (llama.cpp's
/// tokenizer through LLamaSharp, loaded without the weights) and the prompt an engine built on it
/// sends: the model's chat template if the file carries one, else the contents joined by newlines
/// (as Entrepot's embedded engine does). A completion is counted as what it added to the prompt:
/// tokens(prompt + text) - tokens(prompt), which is what a seller generated after it (exactly, in
/// 400 generations of stories260K at temperatures 0.2-1.2; docs/TRUST.md).
/// </summary>
public sealed class GgufTokenCounter(EmbeddedModel model, bool ownsModel = false) : ITokenCounter, IDisposable
{
    private readonly TokenCountCache _cache = new();

    /// <summary>A counter for the model file at <paramref name="path"/> (vocabulary only).</summary>
    public static GgufTokenCounter Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"no model file at {path}", path);
        }

        return new GgufTokenCounter(EmbeddedModel.Load(new ModelFile(Path.GetFullPath(path), ModelOrigin.Configured), vocabularyOnly: true), ownsModel: true);
    }

    public string Description => model.HasChatTemplate
        ? $"{model.Name}'s own vocabulary and chat template (GGUF)"
        : $"{model.Name}'s own vocabulary (GGUF), prompt = contents joined by newlines";

    public bool Exact => true;

    public long CountPrompt(PromptContent prompt) => Tokens(PromptOf(prompt));

    public long CountCompletion(PromptContent prompt, string completion)
    {
        if (completion.Length == 0)
        {
            return 0;
        }

        var p = PromptOf(prompt);
        return model.CountPromptTokens(p + completion) - Tokens(p);
    }

    private int Tokens(string text) => _cache.Count(text, model.CountPromptTokens);

    private string PromptOf(PromptContent prompt) => prompt.IsChat
        ? model.PromptFor(prompt.Messages.Select(m => (m.Role, prompt.ContentOf(m))).ToList())
        : string.Concat(prompt.Texts);

    public void Dispose()
    {
        if (ownsModel)
        {
            model.Dispose();
        }
    }
}
