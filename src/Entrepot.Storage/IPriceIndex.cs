using Entrepot.Storage.Sqlite;

namespace Entrepot.Storage;

/// <summary>The market's price index: per hour (or day), model class and seller jurisdiction, the
/// tokens traded, their value and the volume-weighted price; one node's (SQLite, rolled up as it
/// trades) or a cluster's (PostgreSQL, summed from every node's trades).</summary>
public interface IPriceIndex
{
    /// <summary>Takes in what was traded since the last call, where the index is kept rolled up.</summary>
    int Update();

    /// <summary>Index points, oldest first, per hour or per day.</summary>
    IReadOnlyList<PriceIndexPoint> Query(DateTimeOffset since, DateTimeOffset until, string? modelClass, string? jurisdiction, bool daily);
}
