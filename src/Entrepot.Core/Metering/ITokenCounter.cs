using Entrepot.Core.Protocol;

namespace Entrepot.Core.Metering;

/// <summary>
/// The exchange's own count of a trade's tokens, to check a seller's claim against: the model's
/// tokenizer and chat template where the exchange knows them (<see cref="Exact"/>), else an estimate.
/// Implementations are safe to call from several threads.
/// </summary>
public interface ITokenCounter
{
    /// <summary>How it counts, as the countersigned receipt states it.</summary>
    string Description { get; }

    /// <summary>True when it counts with the model's own tokenizer and template: a seller's claim is
    /// then held to the narrow <see cref="Tolerance.Exact"/>; an estimate gets <see cref="Tolerance.Estimate"/>.</summary>
    bool Exact { get; }

    /// <summary>The prompt's tokens as the model sees them, chat template included.</summary>
    long CountPrompt(PromptContent prompt);

    /// <summary>The tokens of the generated text that followed <paramref name="prompt"/>.</summary>
    long CountCompletion(PromptContent prompt, string completion);
}
