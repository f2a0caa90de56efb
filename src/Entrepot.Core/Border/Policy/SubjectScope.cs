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
}
