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
