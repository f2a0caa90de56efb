using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Border.Policy;

/// <summary>The border decision for one seller: the verdict and the rules that produced it.</summary>
public sealed record CandidateDecision(Counterparty Seller, Verdict Verdict, IReadOnlyList<RuleOutcome> Rules)
{
    /// <summary>The rules that decided: the denying ones for a denial, the redacting ones for a
    /// redaction, every applicable rule for an allowance.</summary>
    public IEnumerable<RuleOutcome> Deciding => Verdict switch
    {
        Verdict.Deny => Rules.Where(r => r.Applied == PolicyEffect.Deny),
        Verdict.Redact => Rules.Where(r => r.Applied == PolicyEffect.Redact),
        _ => Rules,
    };

    /// <summary>"us-dsp-government-related (28 CFR 202.222; ...)" for each deciding rule.</summary>
    public string Explain() => string.Join("; ", Deciding.Select(r =>
        $"{r.Rule.Id} ({r.Rule.Citation}){(r.Note is null ? "" : ": " + r.Note)}"));
}
