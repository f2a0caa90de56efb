namespace Entrepot.Core.Metering;

/// <summary>Takes usage records off the request path; implementations must never block on storage.</summary>
public interface IUsageSink
{
    /// <summary>Queues a record. Returns false only if the sink is shut down.</summary>
    ValueTask<bool> RecordAsync(UsageRecord record);

    /// <summary>Why no new trade should be admitted now (the ledger store is unreachable), or null.
    /// Trades already recorded are kept either way.</summary>
    string? Refusal => null;
}
