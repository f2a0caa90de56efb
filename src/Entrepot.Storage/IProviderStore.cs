using Entrepot.Core.Market;

namespace Entrepot.Storage;

/// <summary>Providers added through the admin API, kept across restarts (and, in PostgreSQL, shared
/// by the nodes of a cluster).</summary>
public interface IProviderStore
{
    IReadOnlyList<ProviderSpec> List();

    void Upsert(ProviderSpec spec);

    bool Delete(string id);
}
