using Entrepot.Core.Border;
using Entrepot.Core.Statistics;

namespace Entrepot.Storage;

/// <summary>
/// The trades an exchange made, as its declarations and trade statistics read them: one node's usage
/// log (SQLite), or, for several nodes, the history every node writes to PostgreSQL, so any node
/// answers for the whole exchange.
/// </summary>
public interface ITradeHistory
{
    /// <summary>Declarations matching the filter, oldest first, after sequence number
    /// <see cref="DeclarationQuery.After"/>.</summary>
    IReadOnlyList<Declaration> Declarations(DeclarationQuery q);

    /// <summary>Per day, origin, destination and currency: the trades that delivered tokens
    /// (completed or interrupted) in [since, until), optionally of one account.</summary>
    IReadOnlyList<FlowRow> Flows(DateTimeOffset since, DateTimeOffset until, string? accountId = null);

    /// <summary>The latest trades routed to a seller since a time, newest first (the dashboard's live flows).</summary>
    IReadOnlyList<ArchivedTrade> Recent(DateTimeOffset since, int limit);
}

/// <summary>Filters and paging for declarations; null means any.</summary>
public sealed record DeclarationQuery
{
    public string? AccountId { get; init; }
    public string? Origin { get; init; }
    public string? Destination { get; init; }
    public string? Verdict { get; init; }
    public string? ProviderId { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    public long After { get; init; }
    public int Limit { get; init; } = 100;

    /// <summary>Only refusals and redactions (what a compliance officer looks at first).</summary>
    public bool Interventions { get; init; }

    /// <summary>Newest first instead of oldest first.</summary>
    public bool Newest { get; init; }
}
