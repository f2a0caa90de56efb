namespace Entrepot.Core.Market;

/// <summary>
/// A table of currency rates against one base currency (units of each currency per one unit of the
/// base), with where the figures come from and their date, so a conversion can always be traced.
/// Converted amounts are rounded to 10 decimals, the precision of a receipt's cost; rounding is
/// monotonic, so a converted hold still covers the converted settlement of a smaller cost.
/// </summary>
public sealed class ExchangeRates
{
    private readonly Dictionary<string, decimal> _perBase;

    public ExchangeRates(string baseCurrency, IReadOnlyDictionary<string, decimal> perBase, string source, string asOf)
    {
        BaseCurrency = baseCurrency.ToUpperInvariant();
        _perBase = perBase.ToDictionary(p => p.Key.ToUpperInvariant(), p => p.Value, StringComparer.Ordinal);
        _perBase[BaseCurrency] = 1m;
        Source = source;
        AsOf = asOf;
    }

    public string BaseCurrency { get; }
    public string Source { get; }
    public string AsOf { get; }
    public IReadOnlyDictionary<string, decimal> PerBase => _perBase;

    public bool CanConvert(string from, string to) =>
        string.Equals(from, to, StringComparison.Ordinal) || (_perBase.ContainsKey(from) && _perBase.ContainsKey(to));

    /// <summary>The amount in <paramref name="to"/>; false when either currency is not in the table.</summary>
    public bool TryConvert(decimal amount, string from, string to, out decimal converted)
    {
        if (string.Equals(from, to, StringComparison.Ordinal))
        {
            converted = amount;
            return true;
        }

        if (!_perBase.TryGetValue(from, out var f) || !_perBase.TryGetValue(to, out var t))
        {
            converted = 0;
            return false;
        }

        converted = Math.Round(amount / f * t, 10, MidpointRounding.AwayFromZero);
        return true;
    }
}
