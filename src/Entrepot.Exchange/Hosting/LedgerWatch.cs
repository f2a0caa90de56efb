using Entrepot.Storage;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// The ledger's health for status pages: the chain and every checkpoint signature recomputed (with
/// the exchange's own key) at most once a minute, off the request path, so a dashboard poll never
/// waits for a full verification.
/// </summary>
public sealed class LedgerWatch(ILedgerStore ledger, Core.Trust.SigningKey key, TimeProvider time)
{
    private readonly Lock _gate = new();
    private LedgerHealth? _last;

    public LedgerHealth? Last => Volatile.Read(ref _last);

    /// <summary>Verifies now if the last check is older than <paramref name="maxAge"/>.</summary>
    public LedgerHealth Check(TimeSpan maxAge)
    {
        if (Last is { } last && time.GetUtcNow() - last.CheckedAt < maxAge)
        {
            return last;
        }

        lock (_gate)
        {
            if (Last is { } again && time.GetUtcNow() - again.CheckedAt < maxAge)
            {
                return again;
            }

            var problem = ledger.Verify(key.PublicKey, out var entries, out var checkpoints);
            var health = new LedgerHealth(problem is null, problem, entries, checkpoints, ledger.LastEntryTime(), time.GetUtcNow());
            Volatile.Write(ref _last, health);
            return health;
        }
    }
}

public sealed record LedgerHealth(
    [property: System.Text.Json.Serialization.JsonPropertyName("verified")] bool Verified,
    [property: System.Text.Json.Serialization.JsonPropertyName("problem")] string? Problem,
    [property: System.Text.Json.Serialization.JsonPropertyName("entries")] long Entries,
    [property: System.Text.Json.Serialization.JsonPropertyName("checkpoints")] int Checkpoints,
    [property: System.Text.Json.Serialization.JsonPropertyName("last_entry")] DateTimeOffset? LastEntry,
    [property: System.Text.Json.Serialization.JsonPropertyName("checked_at")] DateTimeOffset CheckedAt);
