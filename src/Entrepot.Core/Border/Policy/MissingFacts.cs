using Entrepot.Core.Border.Rules;

namespace Entrepot.Core.Border.Policy;

/// <summary>
/// Where the rules decide on the worst case because a fact is missing: a seller that states no
/// owner is taken to be owned from wherever an ownership rule names, and a party known only by its
/// country is taken to be in any region of it a rule names. Each returned line names the party, the
/// missing fact and the rules it tightens, for the operator to supply the fact.
/// </summary>
public static class MissingFacts
{
    public static IEnumerable<string> Of(RuleBook book, IEnumerable<Counterparty> sellers, IEnumerable<(string Account, string Location)> buyers)
    {
        var ownershipRules = book.Rules.Where(r => r.Match.CounterpartyOwnership is not null).Select(r => r.Id).ToList();
        foreach (var s in sellers)
        {
            if (s.Ownership is null && ownershipRules.Count > 0)
            {
                yield return $"seller {s.Id} states no ownership: {string.Join(", ", ownershipRules)} decide as if it were owned from every country they name (set the seller's \"ownership\")";
            }

            if (Regional(book, s.Jurisdiction, r => r.Match.Destination) is { Count: > 0 } rules)
            {
                yield return $"seller {s.Id} is located only as {s.Jurisdiction}: {string.Join(", ", rules.Select(r => r.Id))} decide as if it were in {Regions(rules, s.Jurisdiction, r => r.Match.Destination)} (give its ISO 3166-2 region)";
            }
        }

        foreach (var (account, location) in buyers)
        {
            if (Regional(book, location, r => r.Match.Origin) is { Count: > 0 } rules)
            {
                yield return $"account {account} is located only as {location}: {string.Join(", ", rules.Select(r => r.Id))} decide as if it were in {Regions(rules, location, r => r.Match.Origin)} (set its home_jurisdiction to the ISO 3166-2 region)";
            }
        }
    }

    private static List<PolicyRule> Regional(RuleBook book, string location, Func<PolicyRule, JurisdictionSet?> set) =>
        location.Length != 2 ? [] : book.Rules.Where(r => set(r) is { } j && !j.Contains(location) && j.MightContain(location)).ToList();

    private static string Regions(List<PolicyRule> rules, string country, Func<PolicyRule, JurisdictionSet?> set) =>
        string.Join(", ", rules.SelectMany(r => set(r)!.SubdivisionsOf(country)).Distinct().Order(StringComparer.Ordinal));
}
