namespace Entrepot.Core.Protocol;

/// <summary>
/// The buyer's data in one request, as the request reader found it: every string that carries it
/// (<see cref="Fields"/>: what the border scans and redacts), the content the scanner cannot read
/// (<see cref="Unscanned"/>), and the prompt proper: the message and prompt texts in document order
/// and, for chat, its messages, each with its role, its name if any and which of the texts are its
/// content (what a token counter applies a chat template to).
/// </summary>
public sealed class PromptContent(IReadOnlyList<string> texts, IReadOnlyList<PromptMessage> messages, bool isChat,
    IReadOnlyList<DataField>? fields = null, IReadOnlyList<UnscannedPart>? unscanned = null)
{
    public IReadOnlyList<string> Texts { get; } = texts;

    /// <summary>Chat messages (empty for text completions).</summary>
    public IReadOnlyList<PromptMessage> Messages { get; } = messages;

    public bool IsChat { get; } = isChat;

    /// <summary>Every string of the request that carries the buyer's data, in document order (the
    /// texts among them).</summary>
    public IReadOnlyList<DataField> Fields { get; } = fields ?? [];

    /// <summary>Content the scanner cannot read.</summary>
    public IReadOnlyList<UnscannedPart> Unscanned { get; } = unscanned ?? [];

    /// <summary>The content of message <paramref name="m"/>: its text parts joined by a newline (as
    /// engines that take no parts join them).</summary>
    public string ContentOf(PromptMessage m) => m.TextCount switch
    {
        0 => "",
        1 => Texts[m.FirstText],
        _ => string.Join("\n", Texts.Skip(m.FirstText).Take(m.TextCount)),
    };

    public long Utf8Bytes
    {
        get
        {
            long n = 0;
            foreach (var t in Texts)
            {
                n += System.Text.Encoding.UTF8.GetByteCount(t);
            }

            return n;
        }
    }

    public static readonly PromptContent Empty = new([], [], false);
}

/// <summary>One chat message: its role, its texts (<see cref="TextCount"/> of them from <see cref="FirstText"/>) and its name, if given.</summary>
public readonly record struct PromptMessage(string Role, int FirstText, int TextCount, string? Name = null);
