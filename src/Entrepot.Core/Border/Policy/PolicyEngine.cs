using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Border.Policy;

/// <summary>
/// Decides each candidate seller against the rule book. Every rule in force whose match holds
/// (and whose threshold, if any, is crossed with this request counted) applies; a requirement
/// rule becomes allow when the seller or the buyer holds one of the named attestations or
/// contracts, and its 'otherwise' effect when not. Deny beats redact beats allow; a pair no rule
/// speaks to is allowed.
/// </summary>
public sealed class PolicyEngine(ISubjectCounter counter)
{
    /// <summary>The request header in which a buyer states how many people its data is about.</summary>
    public const string SubjectsHeader = "Entrepot-Data-Subjects";

    /// <summary>The most people one request may be declared to be about (more cannot fit a request body
    /// of the exchange's size; each counts as a new subject and is recorded).</summary>
    public const long MaxDeclaredSubjects = 100_000;

    public CandidateDecision Decide(RuleBook book, TradeContext trade, Counterparty seller)
    {
        var day = DateOnly.FromDateTime(trade.Now.UtcDateTime);
        var outcomes = new List<RuleOutcome>();
        foreach (var rule in book.RulesBetween(trade.Origin, seller.Jurisdiction))
        {
            if (!rule.InForce(day) || !Matches(rule.Match, trade, seller, day))
            {
                continue;
            }

            string? note = null;
            if (rule.Threshold is { } t)
            {
                var incoming = trade.SubjectsOf(t.Category);
                if ((trade.Profile.Categories & t.Category) != 0 && incoming.Count == 0 && trade.DeclaredSubjects is null)
                {
                    // Declared data of a counted category about nobody the scanner can name: the
                    // volume cannot be known, and the law counts pseudonymised rows too
                    // (28 CFR 202.206), so the rule decides as if the volume were over it.
                    outcomes.Add(new RuleOutcome(rule, PolicyEffect.Deny,
                        $"the request declares {t.Category.Name()} data but names nobody the exchange can count; state how many people it is about in the {SubjectsHeader} header"));
                    continue;
                }

                var scope = SubjectScope.For(t, trade, seller);
                long count = counter.CountWith(scope, t.Period.Start(trade.Now), incoming);
                if (!t.Applies(count))
                {
                    continue;
                }

                var to = t.Unit switch
                {
                    CountingUnit.Handler => "to all recipients",
                    CountingUnit.Owner => seller.Ownership is null ? "to this seller" : $"to sellers owned from {seller.Ownership}",
                    _ => "to this seller",
                };
                note = $"{count} distinct {t.Category.Name()} subjects sent by this buyer {to} in the {t.Period.Name()} period, threshold {t.Subjects}";
            }

            var applied = rule.Effect;
            if (rule.Effect is PolicyEffect.RequireAttestation or PolicyEffect.RequireContract)
            {
                var held = Held(rule.Requires, rule.WaitWorkingDays, trade, seller, day, out var gaps);
                applied = held is null ? rule.Otherwise : PolicyEffect.Allow;
                var req = $"requires {string.Join(" or ", rule.Requires)}: {(held is null ? "not held" : held + " held")}"
                    + (held is null && gaps.Count > 0 ? " (" + string.Join("; ", gaps) + ")" : "");
                note = note is null ? req : note + "; " + req;
            }

            if (applied == PolicyEffect.Redact && trade.Profile.Undetectable)
            {
                // Redaction replaces what the scanner finds; data declared personal (names, addresses,
                // free text) or unreadable content stays personal after it, so redacting is no lawful
                // transfer (CJEU C-413/23 P, EDPS v SRB, 4 September 2025: pseudonymised data remains
                // personal data for whoever can still tie it to a person).
                applied = PolicyEffect.Deny;
                const string cannot = "redaction cannot remove personal data the scanner cannot find (declared, or in content it cannot read)";
                note = note is null ? cannot : note + "; " + cannot;
            }

            outcomes.Add(new RuleOutcome(rule, applied, note));
        }

        var verdict = outcomes.Any(o => o.Applied == PolicyEffect.Deny) ? Verdict.Deny
            : outcomes.Any(o => o.Applied == PolicyEffect.Redact) ? Verdict.Redact
            : Verdict.Allow;
        return new CandidateDecision(seller, verdict, outcomes);
    }

    /// <summary>The first requirement the seller or the buyer holds for this trade, or null; with
    /// <paramref name="gaps"/> saying why each holding of a required name does not count (expired,
    /// for other places, with other parties).</summary>
    private static string? Held(IReadOnlyList<string> requires, int wait, TradeContext trade, Counterparty seller, DateOnly day, out List<string> gaps)
    {
        gaps = [];
        foreach (var r in requires)
        {
            // A seller's holding is for the buyers' origins and with buyer accounts; a buyer's, for
            // the sellers' places and with seller ids.
            if (Holds(seller.Holdings, r, day, trade.Origin, trade.Holder, wait, "the seller's", gaps)
                || Holds(trade.BuyerHoldings, r, day, seller.Jurisdiction, seller.Id, wait, "the buyer's", gaps))
            {
                return r;
            }
        }

        return null;
    }

    /// <summary>Whether one of <paramref name="holdings"/> named <paramref name="name"/> counts for a
    /// trade with <paramref name="party"/> in <paramref name="place"/>; each that does not is added
    /// to <paramref name="gaps"/> (when given) with why.</summary>
    private static bool Holds(IReadOnlyList<Holding> holdings, string name, DateOnly day, string place, string party, int wait, string whose, List<string>? gaps)
    {
        foreach (var h in holdings)
        {
            if (h.Name != name)
            {
                continue;
            }

            if (h.Gap(day, place, party, wait) is not { } gap)
            {
                return true;
            }

            gaps?.Add($"{whose} {name} is {gap}");
        }

        return false;
    }

    private static bool Matches(RuleMatch m, TradeContext trade, Counterparty seller, DateOnly day)
    {
        // A party known only by its country may be in any of its regions a rule names (a buyer in
        // "UA" may be in Crimea): the rule is taken to apply, as the worst case would have it.
        if (!RuleBook.CanHold(m, trade.Origin, seller.Jurisdiction))
        {
            return false;
        }

        if (m.DataClasses is not null && !m.DataClasses.Any(trade.Profile.Has))
        {
            return false;
        }

        if (m.Categories != DataCategory.None && (trade.Profile.Categories & m.Categories) == 0)
        {
            return false;
        }

        if (m.Unscanned is { } unscanned && unscanned != trade.Profile.Unscanned > 0)
        {
            return false;
        }

        if (m.BuyerHolds is { } holds && !holds.Any(name => Holds(trade.BuyerHoldings, name, day, seller.Jurisdiction, seller.Id, 0, "", null)))
        {
            return false;
        }

        // A seller whose owner is not known may be owned from anywhere a rule names.
        return m.CounterpartyOwnership is null || seller.Ownership is null || m.CounterpartyOwnership.Contains(seller.Ownership);
    }
}
