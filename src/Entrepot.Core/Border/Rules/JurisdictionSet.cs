using System.Collections.Frozen;

namespace Entrepot.Core.Border.Rules;

/// <summary>
/// A set of jurisdictions after group references are expanded: ISO 3166-1 countries and ISO 3166-2
/// subdivisions. A country in the set covers its subdivisions ("UA" matches "UA-43"); a
/// subdivision does not cover its country. An empty set matches nothing (a group with no members
/// yet, such as India's notified countries), which is not the same as no set at all (any).
/// </summary>
public sealed class JurisdictionSet
{
    private readonly FrozenSet<string> _codes;

    public JurisdictionSet(IEnumerable<string> codes) => _codes = codes.Select(c => c.ToUpperInvariant()).ToFrozenSet(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Codes => _codes;

    public bool Contains(string? jurisdiction)
    {
        if (string.IsNullOrEmpty(jurisdiction))
        {
            return false;
        }

        return _codes.Contains(jurisdiction) || (jurisdiction.Length > 3 && jurisdiction[2] == '-' && _codes.Contains(jurisdiction[..2]));
    }
}
