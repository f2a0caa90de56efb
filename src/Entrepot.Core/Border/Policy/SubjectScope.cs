namespace Entrepot.Core.Border.Policy;

/// <summary>
/// What a threshold counts per: the subjects one party sent from one origin to one seller, in one
/// category. <see cref="Holder"/> is the party that bears the legal duty the threshold expresses
/// (the buyer account), so one buyer's identifiers, real or synthetic, count against that buyer
/// alone and cannot push every other buyer of its country past a limit.
/// </summary>
/// <remarks>Counts kept before they were per holder have the holder <see cref="Unattributed"/>: nobody
/// can say whose they were, so they count toward every holder of their origin until they age out.</remarks>
public readonly record struct SubjectScope(string Holder, string Origin, string Counterparty, DataCategory Category)
{
    /// <summary>The holder of counts recorded before counts were kept per buyer.</summary>
    public const string Unattributed = "";

    /// <summary>The same origin, seller and category without a holder (the counts of old).</summary>
    public SubjectScope Legacy => this with { Holder = Unattributed };

    /// <summary>The counterparty key of every recipient together (<see cref="Rules.CountingUnit.Handler"/>).</summary>
    public const string AllRecipients = "*";

    /// <summary>The scope a threshold counts <paramref name="seller"/>'s subjects in.</summary>
    public static SubjectScope For(Rules.RuleThreshold t, TradeContext trade, Counterparty seller) =>
        For(t.Unit, t.Category, trade.Holder, trade.Origin, seller);

    /// <summary>Every scope a subject of <paramref name="category"/> sent to <paramref name="seller"/>
    /// can be counted in, whatever the rules: each unit, and the sensitive sum for a sensitive category
    /// (what a what-if loads its earlier sends into).</summary>
    public static IEnumerable<SubjectScope> EveryUnit(DataCategory category, string holder, string origin, Counterparty seller)
    {
        foreach (var unit in Enum.GetValues<Rules.CountingUnit>())
        {
            yield return For(unit, category, holder, origin, seller);
            if (category != DataCategory.Sensitive && (category & DataCategory.Sensitive) != 0)
            {
                yield return For(unit, DataCategory.Sensitive, holder, origin, seller);
            }
        }
    }

    public static SubjectScope For(Rules.CountingUnit unit, DataCategory category, string holder, string origin, Counterparty seller) =>
        new(holder, origin, unit switch
        {
            Rules.CountingUnit.Handler => AllRecipients,
            // The exchange knows an owner by its country: sellers owned from one country share a
            // count (stricter than one legal entity, never looser). A seller with no stated owner is its own.
            Rules.CountingUnit.Owner => "owner:" + (seller.Ownership ?? seller.Id),
            _ => seller.Id,
        }, category);
}
