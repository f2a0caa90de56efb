namespace Entrepot.Exporter.Engines;

/// <summary>How a generation ended and how many tokens it took, counted with the model's own tokenizer.</summary>
public sealed record GenerationResult(string FinishReason, int PromptTokens, int CompletionTokens);
