using System.Globalization;
using Entrepot.Core.Border.Policy;
using StackExchange.Redis;

namespace Entrepot.Storage.Redis;

/// <summary>
/// Distinct data subjects per scope shared by every exchange node: one sorted set per scope (origin,
/// seller, category), member = the subject's keyed hash, score = when it was last sent (Unix seconds).
/// Counting reads how many scored since the period began plus how many of the incoming ones are new,
/// so traffic split across nodes counts once toward a threshold. When Redis is unreachable the
/// count is reported as <see cref="Unknown"/> (past every threshold: rules that need an assessment
/// above a volume then refuse rather than let a trade dodge them), and subjects sent meanwhile are
/// queued and recorded once Redis is back.
/// </summary>
public sealed class RedisSubjectCounter(IConnectionMultiplexer redis, string prefix = "entrepot:") : ISubjectCounter
{
    /// <summary>The count reported while Redis cannot be asked.</summary>
    public const long Unknown = long.MaxValue / 4;

    private readonly System.Collections.Concurrent.ConcurrentQueue<(SubjectScope Scope, long At, SubjectId[] Subjects)> _pending = new();

    private RedisKey Key(SubjectScope s) => $"{prefix}subjects:{s.Origin}:{s.Counterparty}:{s.Category}";

    private static RedisValue Member(SubjectId id) => id.Value.ToString("x32", CultureInfo.InvariantCulture);

    public long CountWith(SubjectScope scope, DateTimeOffset since, IReadOnlyCollection<SubjectId> incoming)
    {
        try
        {
            var db = redis.GetDatabase();
            var from = since.ToUnixTimeSeconds();
            var known = db.SortedSetLength(Key(scope), from, double.PositiveInfinity);
            if (incoming.Count == 0)
            {
                return known;
            }

            var distinct = incoming.Distinct().ToArray();
            var scores = db.SortedSetScores(Key(scope), distinct.Select(Member).ToArray());
            return known + scores.Count(s => s is null || s < from);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return Unknown;
        }
    }

    public void Record(SubjectScope scope, DateTimeOffset at, IReadOnlyCollection<SubjectId> subjects)
    {
        if (subjects.Count == 0)
        {
            return;
        }

        _pending.Enqueue((scope, at.ToUnixTimeSeconds(), subjects.Distinct().ToArray()));
        Flush();
    }

    /// <summary>Writes what is queued, oldest first; stops at the first failure (Redis still down).</summary>
    public void Flush()
    {
        while (_pending.TryPeek(out var item))
        {
            try
            {
                // GT: a later sighting moves a subject's time forward, never back; new subjects are added.
                redis.GetDatabase().SortedSetAdd(Key(item.Scope), item.Subjects.Select(s => new SortedSetEntry(Member(s), item.At)).ToArray(),
                    SortedSetWhen.GreaterThan);
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                return;
            }

            _pending.TryDequeue(out _);
        }
    }

    /// <summary>The key every node hashes subjects with: created once by the first node, then shared
    /// (a per-node key would let the same person count once per node).</summary>
    public static byte[] SharedKey(IConnectionMultiplexer redis, string prefix = "entrepot:")
    {
        var db = redis.GetDatabase();
        RedisKey key = prefix + "subject-key";
        db.StringSet(key, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)), when: When.NotExists);
        return Convert.FromBase64String(db.StringGet(key)!);
    }
}
