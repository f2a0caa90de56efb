namespace Entrepot.Core.Protocol;

/// <summary>Where in a request a piece of the buyer's data sits: what the border scans, redacts
/// and names in a declaration.</summary>
public enum FieldKind
{
    /// <summary>A chat message's text: its content string or a text part.</summary>
    Content,

    /// <summary>A completions prompt string.</summary>
    Prompt,

    /// <summary>An assistant message's refusal (the field, or a refusal part).</summary>
    Refusal,

    /// <summary>A message's <c>name</c>.</summary>
    Name,

    /// <summary>The arguments (or a custom tool's input) of an earlier tool call.</summary>
    ToolArguments,

    /// <summary>The arguments of a legacy <c>function_call</c> message.</summary>
    FunctionArguments,

    /// <summary>A string of a tool or legacy function definition: its description or parameter schema.</summary>
    ToolDefinition,

    /// <summary>The <c>user</c> identifier.</summary>
    User,

    /// <summary>A value of <c>metadata</c>.</summary>
    Metadata,

    /// <summary>A completions <c>suffix</c>.</summary>
    Suffix,

    /// <summary>A string of <c>response_format</c> (its JSON schema).</summary>
    ResponseFormat,

    /// <summary>A string of <c>prediction</c> (predicted output).</summary>
    Prediction,

    /// <summary>A stop sequence.</summary>
    Stop,

    /// <summary>A string of a part or property the grammar does not know: scanned all the same, since
    /// it crosses with the rest.</summary>
    Other,
}

/// <summary>
/// One JSON string of a request that carries the buyer's data: its kind, the message it belongs to
/// (or -1), where its token sits in the body (<see cref="Start"/> and <see cref="Length"/>, quotes
/// included, so a redacted text can replace it byte for byte) and its decoded text.
/// </summary>
public readonly record struct DataField(FieldKind Kind, int Message, int Start, int Length, string Text);

/// <summary>Content the scanner cannot read (an image, audio, a file, a stored item), by kind, with
/// its message (or -1). Never declared clean.</summary>
public readonly record struct UnscannedPart(string Kind, int Message);
