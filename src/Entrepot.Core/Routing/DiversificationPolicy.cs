namespace Entrepot.Core.Routing;

/// <summary>
/// A buyer's cap on concentration: no more than <see cref="MaxJurisdictionShare"/> of its tokens to
/// one country and no more than <see cref="MaxSellerShare"/> to one seller, over a sliding
/// <see cref="Window"/>. Caps bind only once <see cref="MinTokens"/> have traded in the window, so
/// the first requests of a quiet account are not forced around.
/// </summary>
public sealed record DiversificationPolicy(double? MaxJurisdictionShare, double? MaxSellerShare, TimeSpan Window, long MinTokens)
{
    public static string? Validate(double? jurisdiction, double? seller, double? windowMinutes, long? minTokens)
    {
        if (jurisdiction is not null and not (> 0 and <= 1))
        {
            return "max_jurisdiction_share";
        }

        if (seller is not null and not (> 0 and <= 1))
        {
            return "max_seller_share";
        }

        if (windowMinutes is not null and not (>= 1 and <= 10080))
        {
            return "window_minutes";
        }

        return minTokens is < 0 ? "min_tokens" : null;
    }
}
