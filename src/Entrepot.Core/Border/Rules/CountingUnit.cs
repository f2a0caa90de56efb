namespace Entrepot.Core.Border.Rules;

/// <summary>Whom a threshold counts the subjects for, beside the buyer account that bears the duty:
/// each seller apart, every recipient together (a data handler's yearly total), or every seller with
/// the same owner together (one foreign legal entity).</summary>
public enum CountingUnit
{
    /// <summary>Per buyer and seller (<c>per: counterparty</c>).</summary>
    Counterparty,

    /// <summary>Per buyer across all recipients (<c>per: handler</c>): China counts a data handler's
    /// outbound personal information in a calendar year, whoever receives it.</summary>
    Handler,

    /// <summary>Per buyer and the seller's owner (<c>per: owner</c>): the US DSP aggregates the
    /// transactions between one US person and one foreign person; sellers with one owner share a count.</summary>
    Owner,
}
