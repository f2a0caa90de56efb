namespace Entrepot.Core.Metering;

/// <summary>Takes usage records off the request path; implementations must never block on storage.</summary>
public interface IUsageSink
{
    /// <summary>Queues a record. Returns false only if the sink is shut down.</summary>
    ValueTask<bool> RecordAsync(UsageRecord record);
}
