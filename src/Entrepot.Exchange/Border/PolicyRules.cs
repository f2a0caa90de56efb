using System.Text.Json.Serialization;
using Entrepot.Core.Border.Rules;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Border;

/// <summary>
/// The rule packs in force, reloaded when their files change (polled every two seconds: a handful
/// of stat calls, no watcher thread). A reload that fails to parse is logged with file, line and
/// field and changes nothing; one that changes the content is logged as a regulatory change event
/// and kept in <see cref="Changes"/>.
/// </summary>
public sealed partial class PolicyRules : IDisposable
{
    private readonly string? _dir;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly ITimer? _timer;
    private readonly Lock _gate = new();
    private readonly List<RegulatoryChange> _changes = [];
    private string _stamp = "";
    private volatile RuleBook _book;

    public PolicyRules(string? dir, TimeProvider time, ILogger<PolicyRules> log, TimeSpan? poll = null)
    {
        _dir = dir;
        _time = time;
        _log = log;
        if (dir is null || !Directory.Exists(dir))
        {
            _book = RuleBook.Empty;
            LogNoPacks(log, dir ?? "(none)");
            return;
        }

        _stamp = Stamp(dir);
        _book = RulePackLoader.LoadDirectory(dir, time.GetUtcNow());
        _timer = time.CreateTimer(_ => Poll(), null, poll ?? TimeSpan.FromSeconds(2), poll ?? TimeSpan.FromSeconds(2));
    }

    public RuleBook Current => _book;

    public string? RulesDirectory => _dir;

    public IReadOnlyList<RegulatoryChange> Changes
    {
        get
        {
            lock (_gate)
            {
                return _changes.ToList();
            }
        }
    }

    /// <summary>Re-reads the packs now; returns the errors if they cannot be used.</summary>
    public IReadOnlyList<RuleLoadError> Reload()
    {
        lock (_gate)
        {
            if (_dir is null)
            {
                return [];
            }

            _stamp = Stamp(_dir);
            var errors = new List<RuleLoadError>();
            var book = RulePackLoader.TryLoadDirectory(_dir, _time.GetUtcNow(), errors);
            if (book is null)
            {
                LogReloadRejected(_log, _dir, string.Join("; ", errors));
                return errors;
            }

            var old = _book;
            if (book.Fingerprint == old.Fingerprint)
            {
                return [];
            }

            var change = RegulatoryChange.Between(old, book, _time.GetUtcNow());
            _changes.Add(change);
            if (_changes.Count > 100)
            {
                _changes.RemoveAt(0);
            }

            _book = book;
            LogRegulatoryChange(_log, change.From, change.To, string.Join(",", change.Added), string.Join(",", change.Removed), string.Join(",", change.Changed));
            return [];
        }
    }

    private void Poll()
    {
        try
        {
            if (_dir is not null && Stamp(_dir) != _stamp)
            {
                Reload();
            }
        }
        catch (IOException)
        {
            // A file mid-write: the next poll sees it whole.
        }
    }

    private static string Stamp(string dir) => string.Join("|", new DirectoryInfo(dir).EnumerateFiles()
        .Where(f => f.Extension is ".yaml" or ".yml")
        .OrderBy(f => f.Name, StringComparer.Ordinal)
        .Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}"));

    public void Dispose() => _timer?.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Regulatory change: rule packs {From} -> {To}; rules added [{Added}], removed [{Removed}], changed [{Changed}]")]
    private static partial void LogRegulatoryChange(ILogger logger, string from, string to, string added, string removed, string changed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Rule packs in {Dir} not reloaded, the packs in force stay: {Errors}")]
    private static partial void LogReloadRejected(ILogger logger, string dir, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No rule packs at {Dir}: no border rules apply, every trade is allowed")]
    private static partial void LogNoPacks(ILogger logger, string dir);
}

/// <summary>A change of the rule packs in force.</summary>
public sealed record RegulatoryChange(
    [property: JsonPropertyName("at")] DateTimeOffset At,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("added")] IReadOnlyList<string> Added,
    [property: JsonPropertyName("removed")] IReadOnlyList<string> Removed,
    [property: JsonPropertyName("changed")] IReadOnlyList<string> Changed)
{
    public static RegulatoryChange Between(RuleBook old, RuleBook now, DateTimeOffset at)
    {
        var before = old.Rules.ToDictionary(r => r.Id, Describe);
        var after = now.Rules.ToDictionary(r => r.Id, Describe);
        return new RegulatoryChange(at, old.Fingerprint, now.Fingerprint,
            after.Keys.Except(before.Keys).Order().ToList(),
            before.Keys.Except(after.Keys).Order().ToList(),
            after.Where(kv => before.TryGetValue(kv.Key, out var b) && b != kv.Value).Select(kv => kv.Key).Order().ToList());
    }

    private static string Describe(PolicyRule r)
    {
        var m = r.Match;
        static string Set(JurisdictionSet? s) => s is null ? "*" : string.Join(",", s.Codes.Order());
        return string.Join("|", r.Citation, r.Effect, string.Join(",", r.Requires), r.Otherwise, r.EffectiveFrom, r.EffectiveUntil,
            r.Threshold, Set(m.Origin), Set(m.OriginNot), Set(m.Destination), Set(m.DestinationNot), Set(m.CounterpartyOwnership),
            m.DataClasses is null ? "*" : string.Join(",", m.DataClasses), m.Categories);
    }
}
