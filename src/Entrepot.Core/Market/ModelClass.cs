using System.Globalization;
using System.Text.RegularExpressions;

namespace Entrepot.Core.Market;

/// <summary>
/// The size class a model trades in, for the price index: read from the parameter count in its
/// name (llama-3.3-70b -> large, qwen2.5-7b-instruct -> small, stories260K -> tiny). Names without
/// a count (gpt-4o-mini) are "unsized". Classes by parameters: tiny under 3B, small under 15B,
/// medium under 80B, large from 80B.
/// </summary>
public static partial class ModelClass
{
    public const string Unsized = "unsized";

    public static string Of(string model)
    {
        double? billions = null;
        foreach (Match m in Count().Matches(model))
        {
            var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            var b = char.ToLowerInvariant(m.Groups["u"].Value[0]) switch
            {
                'k' => n / 1e6,
                'm' => n / 1e3,
                't' => n * 1e3,
                _ => n,
            };
            billions = Math.Max(billions ?? 0, b); // mixture-of-experts names give total and active: take the total
        }

        return billions switch
        {
            null => Unsized,
            < 3 => "tiny",
            < 15 => "small",
            < 80 => "medium",
            _ => "large",
        };
    }

    // A number and a unit not followed by more letters (so "gpt-4o" or "v3" are not counts; the largest count wins, so a context size such as "128k" beside "8b" does not).
    [GeneratedRegex(@"(?<![0-9.])(?:\d+x)?(?<n>\d+(?:\.\d+)?)(?<u>[kKmMbBtT])(?![A-Za-z])")]
    private static partial Regex Count();
}
