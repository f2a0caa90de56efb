using System.Globalization;
using System.Text;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Redaction;
using Entrepot.Core.Border.Rules;
using Entrepot.Core.Border.Scanning;
using Entrepot.Core.Protocol;

namespace Entrepot.Exchange.Border;

/// <summary>One request at the border: its profile, the decision per seller (made once each), and
/// the redacted body and placeholder mapping, built only if a seller needs them.</summary>
public sealed class BorderCheck
{
    private readonly PolicyEngine _engine;
    private readonly Dictionary<string, CandidateDecision> _decisions = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<string> _texts;
    private Pseudonymiser? _pseudonymiser;
    private byte[]? _redactedBody;

    internal BorderCheck(PolicyEngine engine, RuleBook book, TradeContext trade, PromptContent prompt, Inspection inspection)
    {
        _engine = engine;
        Book = book;
        Trade = trade;
        Prompt = prompt;
        _texts = prompt.Texts;
        Inspection = inspection;
    }

    /// <summary>The buyer's texts and messages, as scanned (and as the exchange counts their tokens).</summary>
    public PromptContent Prompt { get; }

    public RuleBook Book { get; }
    public TradeContext Trade { get; }
    public Inspection Inspection { get; }

    public CandidateDecision Decide(Counterparty seller)
    {
        if (!_decisions.TryGetValue(seller.Id, out var d))
        {
            d = _engine.Decide(Book, Trade, seller);
            _decisions[seller.Id] = d;
        }

        return d;
    }

    public IReadOnlyCollection<CandidateDecision> Decisions => _decisions.Values;

    /// <summary>The placeholder mapping of the redacted body (empty if nothing was found).</summary>
    public IReadOnlyDictionary<string, string> Mapping => _pseudonymiser?.Mapping ?? new Dictionary<string, string>();

    public int Redactions => _pseudonymiser?.Total ?? 0;

    /// <summary>The body as a seller that gets redacted data receives it.</summary>
    public byte[] RedactedBody(ReadOnlySpan<byte> original, InferenceRequest request)
    {
        if (_redactedBody is null)
        {
            _pseudonymiser = new Pseudonymiser(_texts);
            var redacted = new List<string>(_texts.Count);
            for (int i = 0; i < _texts.Count; i++)
            {
                redacted.Add(_pseudonymiser.Redact(_texts[i], Inspection.Parts[i]));
            }

            _redactedBody = Core.Border.Redaction.RedactedBody.Write(original, request.Kind, redacted, request.Stream);
        }

        return _redactedBody;
    }

    /// <summary>The Entrepot-Policy header: verdict, deciding rules, what was redacted, the class.</summary>
    public string Header(CandidateDecision d, bool redacted)
    {
        if (d.Rules.Count == 0 && !redacted)
        {
            // The common case (no rule spoke): no builder, no enumeration.
            return string.Concat("verdict=", d.Verdict.Name(), "; class=", Inspection.Profile.Effective.Name());
        }

        var sb = new StringBuilder();
        sb.Append("verdict=").Append(d.Verdict.Name());
        sb.Append("; class=").Append(Inspection.Profile.Effective.Name());
        var ids = d.Deciding.Select(r => r.Rule.Id).ToList();
        if (ids.Count > 0)
        {
            sb.Append("; rules=").AppendJoin(',', ids);
        }

        if (redacted && _pseudonymiser is { Total: > 0 } p)
        {
            sb.Append("; redacted=").AppendJoin(',', p.Counts.OrderBy(kv => kv.Key).Select(kv => kv.Key.Name() + ":" + kv.Value.ToString(CultureInfo.InvariantCulture)));
        }

        return sb.ToString();
    }

    /// <summary>"email:2,phone:1" for declarations.</summary>
    public string DetectedSummary() => Inspection.Profile.Detected.Count == 0 ? "" : string.Join(",", Inspection.Profile.Detected.OrderBy(kv => kv.Key)
        .Select(kv => kv.Key.Name() + ":" + kv.Value.ToString(CultureInfo.InvariantCulture)));

    public string CategoriesSummary() =>
        Inspection.Profile.Categories == DataCategory.None ? "" : string.Join(",", Inspection.Profile.Categories.Names());

    /// <summary>The 451 message: every denied seller with its rules and citations.</summary>
    public string DenialMessage(string model) =>
        $"No seller of '{model}' may lawfully receive this request (data class {Inspection.Profile.Effective.Name()}" +
        (Inspection.Profile.Detected.Count > 0 ? $"; found {DetectedSummary()}" : "") + "). " +
        string.Join(" ", _decisions.Values.Where(d => d.Verdict == Verdict.Deny)
            .Select(d => $"Seller {d.Seller.Id} ({d.Seller.Jurisdiction}): {d.Explain()}."));
}
