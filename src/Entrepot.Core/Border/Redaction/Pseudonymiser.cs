using System.Text;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Scanning;

namespace Entrepot.Core.Border.Redaction;

/// <summary>
/// Replaces what the scanner found with placeholders such as [EMAIL_1] before a request crosses a
/// border, and keeps the mapping for this request only, to restore the answer. The same value
/// (ignoring case and separators) gets the same placeholder; a placeholder that already occurs in
/// the buyer's own text is skipped, so restoring never rewrites the buyer's words.
/// </summary>
public sealed class Pseudonymiser
{
    private readonly Dictionary<string, string> _byValue = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _original = new(StringComparer.Ordinal);
    private readonly Dictionary<EntityType, int> _next = new();
    private readonly Dictionary<EntityType, int> _counts = new();
    private readonly IReadOnlyList<string> _texts;

    public Pseudonymiser(IReadOnlyList<string> texts) => _texts = texts;

    /// <summary>Placeholder to original value.</summary>
    public IReadOnlyDictionary<string, string> Mapping => _original;

    /// <summary>Values replaced, by type (each occurrence counts).</summary>
    public IReadOnlyDictionary<EntityType, int> Counts => _counts;

    public int Total => _counts.Values.Sum();

    public static string Label(EntityType t) => t switch
    {
        EntityType.Email => "EMAIL",
        EntityType.Phone => "PHONE",
        EntityType.PaymentCard => "CARD",
        EntityType.Iban => "IBAN",
        EntityType.UsSsn => "SSN",
        EntityType.CnResidentId => "CN_ID",
        EntityType.Passport => "PASSPORT",
        EntityType.IpAddress => "IP",
        EntityType.GeoCoordinates => "GEO",
        _ => "SECRET",
    };

    /// <summary>The text with every entity replaced.</summary>
    public string Redact(string text, IReadOnlyList<Entity> entities)
    {
        if (entities.Count == 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length);
        int at = 0;
        foreach (var e in entities)
        {
            sb.Append(text, at, e.Start - at);
            sb.Append(PlaceholderFor(e.Type, text[e.Start..e.End]));
            _counts[e.Type] = _counts.GetValueOrDefault(e.Type) + 1;
            at = e.End;
        }

        sb.Append(text, at, text.Length - at);
        return sb.ToString();
    }

    private string PlaceholderFor(EntityType type, string value)
    {
        var key = Pseudo(type) + "\0" + SubjectId.Normalise(type, value);
        if (_byValue.TryGetValue(key, out var existing))
        {
            return existing;
        }

        string placeholder;
        do
        {
            int n = _next.GetValueOrDefault(type) + 1;
            _next[type] = n;
            placeholder = $"[{Label(type)}_{n}]";
        }
        while (_texts.Any(t => t.Contains(placeholder, StringComparison.Ordinal)));

        _byValue[key] = placeholder;
        _original[placeholder] = value;
        return placeholder;
    }

    private static string Pseudo(EntityType t) => t.Name();
}
