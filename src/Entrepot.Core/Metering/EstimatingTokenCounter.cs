using Entrepot.Core.Protocol;

namespace Entrepot.Core.Metering;

/// <summary>
/// For a model whose tokenizer the exchange does not know: <see cref="TokenEstimator"/>'s four UTF-8
/// bytes a token, plus for chat an assumed template of three tokens per message and three to start
/// the answer (OpenAI's published format). Judged with the wide <see cref="Tolerance.Estimate"/>.
/// </summary>
public sealed class EstimatingTokenCounter : ITokenCounter
{
    public static readonly EstimatingTokenCounter Instance = new();

    public string Description => "estimate: 4 UTF-8 bytes of text per token, chat template 3 per message + 3";

    public bool Exact => false;

    public long CountPrompt(PromptContent prompt) =>
        TokenEstimator.FromUtf8Bytes(prompt.Utf8Bytes) + (prompt.IsChat ? (3 * prompt.Messages.Count) + 3 : 0);

    public long CountCompletion(PromptContent prompt, string completion) =>
        TokenEstimator.FromUtf8Bytes(System.Text.Encoding.UTF8.GetByteCount(completion));
}
