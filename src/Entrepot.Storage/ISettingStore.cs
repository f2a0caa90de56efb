namespace Entrepot.Storage;

/// <summary>
/// One scope's setting of one kind (<see cref="SettingKinds"/>): a budget, rate limits or
/// diversification caps, as JSON; whether the configuration file defines it (then only the file
/// changes it) or the admin API set it; and a version that grows with every change of any setting, so
/// no node ever writes an older definition over a newer one.
/// </summary>
public sealed record Setting(string Kind, string Scope, string Value, bool FromFile, long Version);

/// <summary>The kinds of <see cref="Setting"/>.</summary>
public static class SettingKinds
{
    public const string Budget = "budget";
    public const string Limits = "limits";
    public const string Caps = "caps";
}

/// <summary>
/// Budgets, limits and caps, owned by the configuration file where it defines them and by the admin
/// API everywhere else: one SQLite table for a single node, one PostgreSQL table every node of a
/// cluster shares. A node's start writes only what its file defines; what the admin API set is never
/// touched by a start.
/// </summary>
public interface ISettingStore
{
    /// <summary>The admin API sets a scope's setting; null (nothing written) when the file owns it.</summary>
    Setting? Put(string kind, string scope, string value);

    /// <summary>The admin API removes a scope's setting; false when there is none or the file owns it.</summary>
    bool Delete(string kind, string scope);

    /// <summary>Makes the file's settings of a kind what <paramref name="defined"/> says: each is written
    /// as the file's (taking over a scope the admin API had set), and a setting the file made before
    /// but no longer defines is removed. Unchanged settings keep their version.</summary>
    void SyncFile(string kind, IReadOnlyDictionary<string, string> defined);

    IReadOnlyList<Setting> All(string kind);

    /// <summary>The highest version given so far (it never goes down, deletions included): read before
    /// <see cref="All"/>, it tells a definition this read removed from one written after it.</summary>
    long Clock();

    Setting? Find(string kind, string scope);
}
