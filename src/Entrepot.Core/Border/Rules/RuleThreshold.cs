namespace Entrepot.Core.Border.Rules;

/// <summary>A rule with a threshold applies only once more than <see cref="Subjects"/> distinct data
/// subjects of <see cref="Category"/> (counting the request at hand) have gone from the origin to
/// this seller within the period; and, with <see cref="UpTo"/>, only up to that many (a band).</summary>
/// <remarks><see cref="Category"/> may be <see cref="DataCategory.Sensitive"/>: the sensitive
/// categories counted together. <see cref="Unit"/> says whose sends are added up.</remarks>
public sealed record RuleThreshold(long Subjects, DataCategory Category, ThresholdPeriod Period, long? UpTo = null, CountingUnit Unit = CountingUnit.Counterparty)
{
    public bool Applies(long count) => count > Subjects && (UpTo is null || count <= UpTo);
}
