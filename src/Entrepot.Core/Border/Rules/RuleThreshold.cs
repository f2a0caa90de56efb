namespace Entrepot.Core.Border.Rules;

/// <summary>A rule with a threshold applies only once more than <see cref="Subjects"/> distinct data
/// subjects of <see cref="Category"/> (counting the request at hand) have gone from the origin to
/// this seller within the period; and, with <see cref="UpTo"/>, only up to that many (a band).</summary>
public sealed record RuleThreshold(long Subjects, DataCategory Category, ThresholdPeriod Period, long? UpTo = null)
{
    public bool Applies(long count) => count > Subjects && (UpTo is null || count <= UpTo);
}
