using System.Globalization;
using System.Text;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Redaction;
using Entrepot.Core.Border.Rules;
using Entrepot.Core.Border.Scanning;
using Entrepot.Core.Protocol;

namespace Entrepot.Exchange.Border;

/// <summary>What a seller is sent of the data the scanner found: everything (the verdict is redact),
/// only credentials (allowed data still never carries a key, a token or a private key in clear), or
/// nothing replaced.</summary>
public enum Masking
{
    None,
    Secrets,
    All,
}

/// <summary>One request at the border: its profile, the decision per seller (made once each), and
/// the redacted bodies and placeholder mappings, built only if a seller needs them.</summary>
public sealed class BorderCheck
{
    private readonly PolicyEngine _engine;
    private readonly Dictionary<string, CandidateDecision> _decisions = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<DataField> _fields;
    private readonly bool _secretsInClear;
    // Per masking: the placeholders given and the body they went into, built on first need.
    private (Pseudonymiser Names, byte[] Body)? _all, _secrets;

    internal BorderCheck(PolicyEngine engine, RuleBook book, TradeContext trade, PromptContent prompt, Inspection inspection, bool secretsInClear)
    {
        _engine = engine;
        Book = book;
        Trade = trade;
        Prompt = prompt;
        _fields = prompt.Fields;
        Inspection = inspection;
        _secretsInClear = secretsInClear;
    }

    /// <summary>The buyer's data fields and messages, as scanned (and as the exchange counts their tokens).</summary>
    public PromptContent Prompt { get; }

    public RuleBook Book { get; }
    public TradeContext Trade { get; }
    public Inspection Inspection { get; }

    /// <summary>A credential was found in the request.</summary>
    public bool HasSecrets => Inspection.Profile.Detected.ContainsKey(EntityType.Secret);

    /// <summary>The account opted out, in writing, of having credentials replaced, and this request holds one.</summary>
    public bool SecretsSentInClear => _secretsInClear && HasSecrets;

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

    /// <summary>What a seller so decided is sent in place of what the scanner found.</summary>
    public Masking MaskingFor(CandidateDecision d) =>
        d.Verdict == Verdict.Redact ? Masking.All
        : HasSecrets && !_secretsInClear ? Masking.Secrets
        : Masking.None;

    /// <summary>The placeholder mapping of the body sent with <paramref name="masking"/> (empty if none).</summary>
    public IReadOnlyDictionary<string, string> Mapping(Masking masking) => NamesOf(masking)?.Mapping ?? Empty;

    private static readonly Dictionary<string, string> Empty = [];

    public int Redactions(Masking masking) => NamesOf(masking)?.Total ?? 0;

    private Pseudonymiser? NamesOf(Masking masking) => masking switch
    {
        Masking.All => _all?.Names,
        Masking.Secrets => _secrets?.Names,
        _ => null,
    };

    /// <summary>The body as a seller receives it with <paramref name="masking"/>; null when it gets
    /// the buyer's bytes (nothing to replace).</summary>
    public byte[]? Body(Masking masking, ReadOnlySpan<byte> original, InferenceRequest request)
    {
        if (masking == Masking.None)
        {
            return null;
        }

        ref var masked = ref masking == Masking.All ? ref _all : ref _secrets;
        if (masked is null)
        {
            var texts = _fields.Select(f => f.Text).ToList();
            var p = new Pseudonymiser(texts);
            var redacted = new string?[_fields.Count];
            for (int i = 0; i < _fields.Count; i++)
            {
                var found = Inspection.Parts[i];
                if (masking == Masking.Secrets)
                {
                    found = found.Where(e => e.Type == EntityType.Secret).ToList();
                }

                if (found.Count > 0)
                {
                    redacted[i] = p.Redact(_fields[i].Text, found);
                }
            }

            masked = (p, Core.Border.Redaction.RedactedBody.Write(original, _fields, redacted, request.Stream));
        }

        return masked.Value.Body;
    }

    /// <summary>The Entrepot-Policy header: verdict, deciding rules, what was redacted, the class,
    /// what could not be scanned and credentials sent in clear by the account's choice.</summary>
    public string Header(CandidateDecision d, Masking masking)
    {
        var unscanned = Inspection.Profile.Unscanned;
        if (d.Rules.Count == 0 && masking == Masking.None && unscanned == 0 && !SecretsSentInClear)
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

        if (NamesOf(masking) is { Total: > 0 } p)
        {
            sb.Append("; redacted=").AppendJoin(',', p.Counts.OrderBy(kv => kv.Key).Select(kv => kv.Key.Name() + ":" + kv.Value.ToString(CultureInfo.InvariantCulture)));
        }

        if (unscanned > 0)
        {
            sb.Append("; unscanned=").Append(unscanned.ToString(CultureInfo.InvariantCulture));
        }

        if (SecretsSentInClear)
        {
            sb.Append("; secrets=in-clear");
        }

        return sb.ToString();
    }

    /// <summary>"email:2,phone:1" for declarations, with "unscanned:N" for parts nothing could read.</summary>
    public string DetectedSummary()
    {
        var parts = Inspection.Profile.Detected.OrderBy(kv => kv.Key)
            .Select(kv => kv.Key.Name() + ":" + kv.Value.ToString(CultureInfo.InvariantCulture));
        if (Inspection.Profile.Unscanned > 0)
        {
            parts = parts.Append("unscanned:" + Inspection.Profile.Unscanned.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join(",", parts);
    }

    public string CategoriesSummary() =>
        Inspection.Profile.Categories == DataCategory.None ? "" : string.Join(",", Inspection.Profile.Categories.Names());

    /// <summary>The 451 message: every denied seller with its rules and citations.</summary>
    public string DenialMessage(string model) =>
        $"No seller of '{model}' may lawfully receive this request (data class {Inspection.Profile.Effective.Name()}" +
        (DetectedSummary() is { Length: > 0 } found ? $"; found {found}" : "") + "). " +
        string.Join(" ", _decisions.Values.Where(d => d.Verdict == Verdict.Deny)
            .Select(d => $"Seller {d.Seller.Id} ({d.Seller.Jurisdiction}): {d.Explain()}."));
}
