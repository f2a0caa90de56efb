using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Entrepot.Core.Border.Rules;

/// <summary>
/// Every loaded pack and group, immutable: the policy engine evaluates against one snapshot and a
/// reload swaps in a whole new book. <see cref="Fingerprint"/> identifies the content, so a reload
/// that changes nothing is not reported as a regulatory change.
/// </summary>
public sealed class RuleBook
{
    public static readonly RuleBook Empty = new([], new Dictionary<string, JurisdictionSet>(), DateTimeOffset.UnixEpoch, "");

    public RuleBook(IReadOnlyList<RulePack> packs, IReadOnlyDictionary<string, JurisdictionSet> groups, DateTimeOffset loadedAt, string contentHash)
    {
        Packs = packs;
        Groups = groups;
        LoadedAt = loadedAt;
        Rules = packs.SelectMany(p => p.Rules).ToList();
        Fingerprint = contentHash;
        ById = Rules.ToDictionary(r => r.Id, StringComparer.Ordinal);
        HasThresholds = Rules.Any(r => r.Threshold is not null);
        CountingKeys = Rules.Where(r => r.Threshold is not null).Select(r => (r.Threshold!.Unit, r.Threshold.Category)).Distinct().ToList();
    }

    public IReadOnlyList<RulePack> Packs { get; }

    /// <summary>Every (unit, category) a threshold of this book counts in: where a crossing is recorded.</summary>
    public IReadOnlyList<(CountingUnit Unit, DataCategory Category)> CountingKeys { get; }
    public IReadOnlyDictionary<string, JurisdictionSet> Groups { get; }
    public IReadOnlyList<PolicyRule> Rules { get; }
    public IReadOnlyDictionary<string, PolicyRule> ById { get; }
    public DateTimeOffset LoadedAt { get; }
    public string Fingerprint { get; }

    /// <summary>Whether any rule counts data subjects (deciding it may need the subject counts).</summary>
    public bool HasThresholds { get; }

    private const int MaxPairs = 4096;
    private readonly ConcurrentDictionary<(string?, string?), PolicyRule[]> _byPair = new();

    /// <summary>
    /// The rules whose origin and destination conditions can hold between these two places, in book
    /// order: the only ones worth matching against a trade between them. Every trade between the
    /// same two places asks again; remembered for the first few thousand pairs.
    /// </summary>
    public IReadOnlyList<PolicyRule> RulesBetween(string? origin, string? destination)
    {
        if (_byPair.TryGetValue((origin, destination), out var rules))
        {
            return rules;
        }

        rules = Rules.Where(r => CanHold(r.Match, origin, destination)).ToArray();
        if (_byPair.Count < MaxPairs)
        {
            _byPair.TryAdd((origin, destination), rules);
        }

        return rules;
    }

    /// <summary>The place conditions of a match, as the policy engine reads them.</summary>
    public static bool CanHold(RuleMatch m, string? origin, string? destination) =>
        (m.Origin is null || m.Origin.MightContain(origin)) &&
        (m.OriginNot is null || !m.OriginNot.Contains(origin)) &&
        (m.Destination is null || m.Destination.MightContain(destination)) &&
        (m.DestinationNot is null || !m.DestinationNot.Contains(destination));

    public static string Hash(IEnumerable<(string Name, string Content)> files)
    {
        var sb = new StringBuilder();
        foreach (var (name, content) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            sb.Append(name).Append('\0').Append(content).Append('\0');
        }

        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..16];
    }
}
