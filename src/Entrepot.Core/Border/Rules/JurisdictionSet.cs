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

    private readonly FrozenSet<string> _countriesWithSubdivisions;

    public JurisdictionSet(IEnumerable<string> codes)
    {
        _codes = codes.Select(c => c.ToUpperInvariant()).ToFrozenSet(StringComparer.Ordinal);
        _countriesWithSubdivisions = _codes.Where(c => c.Length > 3 && c[2] == '-').Select(c => c[..2]).ToFrozenSet(StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Codes => _codes;

    public bool Contains(string? jurisdiction)
    {
        if (string.IsNullOrEmpty(jurisdiction))
        {
            return false;
        }

        return _codes.Contains(jurisdiction) || (jurisdiction.Length > 3 && jurisdiction[2] == '-' && _codes.Contains(jurisdiction[..2]));
    }

    /// <summary>Whether a place known only as a country might lie in the set: the country, or one of
    /// its subdivisions, is in it ("UA" might be in a set holding "UA-43"). Where the place is a
    /// subdivision or outside every country of the set, the same as <see cref="Contains"/>.</summary>
    public bool MightContain(string? jurisdiction) =>
        Contains(jurisdiction) || (jurisdiction is { Length: 2 } && _countriesWithSubdivisions.Contains(jurisdiction));

    /// <summary>The subdivisions of <paramref name="country"/> in the set.</summary>
    public IEnumerable<string> SubdivisionsOf(string country) =>
        _codes.Where(c => c.Length > 3 && c[2] == '-' && c.StartsWith(country, StringComparison.Ordinal));
}
