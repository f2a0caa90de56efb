using Entrepot.Core.Metering;

namespace Entrepot.Storage;

/// <summary>
/// Where a node copies each committed trade for the history several nodes share (PostgreSQL): what
/// declarations and trade statistics need, not the node's own bookkeeping (hashes, latencies).
/// Appends are idempotent on the request id, so a batch can be sent again after a failure or a crash.
/// </summary>
public interface ITradeArchive
{
    void Append(IReadOnlyList<ArchivedTrade> trades);

    /// <summary>The time of the newest trade archived, if any (where a restarted node catches up from).</summary>
    DateTimeOffset? LastTradeTime();

    /// <summary>Whether any node recorded this request (with any outcome).</summary>
    bool Knows(string requestId);
}

/// <summary>One trade as the shared history keeps it; <see cref="Border"/> is its declaration, if it has one.</summary>
public sealed record ArchivedTrade(
    string RequestId, DateTimeOffset Timestamp, string AccountId, string? ProviderId, string Model, string Origin, string? Destination,
    long InputTokens, long OutputTokens, decimal Cost, string Currency, string Outcome, BorderRecord? Border)
{
    public static ArchivedTrade Of(SettledTrade r) => new(r.RequestId, r.Timestamp, r.AccountId, r.ProviderId, r.Model, r.Origin,
        r.Destination, r.InputTokens, r.OutputTokens, r.Cost, r.Currency, r.Outcome, r.Border);
}
