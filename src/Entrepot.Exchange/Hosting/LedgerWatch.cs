using Entrepot.Storage;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// The ledger's health for status pages: the chain and every checkpoint signature recomputed (with
/// the exchange's own key) at most once a minute while someone is looking, in the background, so a
/// dashboard poll never waits for a full verification.
/// </summary>
public sealed class LedgerWatch(ILedgerStore ledger, Core.Trust.SigningKey key, TimeProvider time)
{
    private LedgerHealth? _last;
    private int _running;

    /// <summary>The last verdict (null before the first), starting a new verification in the
    /// background when it is older than <paramref name="maxAge"/>: a poll never waits for one.</summary>
    public LedgerHealth? Current(TimeSpan maxAge)
    {
        var last = Volatile.Read(ref _last);
        if ((last is null || time.GetUtcNow() - last.CheckedAt >= maxAge) && Interlocked.Exchange(ref _running, 1) == 0)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    Check();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // The store is unreachable: say so rather than keep an old "verified".
                    Volatile.Write(ref _last, new LedgerHealth(false, "cannot read the ledger: " + e.Message, 0, 0, null, time.GetUtcNow()));
                }
                finally
                {
                    Volatile.Write(ref _running, 0);
                }
            });
        }

        return last;
    }

    /// <summary>Recomputes the chain and every checkpoint signature now.</summary>
    public LedgerHealth Check()
    {
        var problem = ledger.Verify(key.PublicKey, out var entries, out var checkpoints);
        var health = new LedgerHealth(problem is null, problem, entries, checkpoints, ledger.LastEntryTime(), time.GetUtcNow());
        Volatile.Write(ref _last, health);
        return health;
    }
}

public sealed record LedgerHealth(
    [property: System.Text.Json.Serialization.JsonPropertyName("verified")] bool Verified,
    [property: System.Text.Json.Serialization.JsonPropertyName("problem")] string? Problem,
    [property: System.Text.Json.Serialization.JsonPropertyName("entries")] long Entries,
    [property: System.Text.Json.Serialization.JsonPropertyName("checkpoints")] int Checkpoints,
    [property: System.Text.Json.Serialization.JsonPropertyName("last_entry")] DateTimeOffset? LastEntry,
    [property: System.Text.Json.Serialization.JsonPropertyName("checked_at")] DateTimeOffset CheckedAt);
