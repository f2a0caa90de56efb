namespace Entrepot.Core.Routing;

/// <summary>
/// Tokens one account traded per jurisdiction and per seller over a sliding window, kept as twelve
/// rotating slices of the window (so the window slides in steps of a twelfth). Locked per account:
/// only accounts with a diversification policy have one.
/// </summary>
public sealed class Exposure(TimeSpan window, TimeProvider time)
{
    private const int Slices = 12;
    private readonly Lock _gate = new();
    private readonly Slice[] _slices = Enumerable.Range(0, Slices).Select(_ => new Slice()).ToArray();
    private readonly long _sliceTicks = Math.Max(1, window.Ticks / Slices);

    private sealed class Slice
    {
        public long Epoch = -1;
        public readonly Dictionary<string, long> ByJurisdiction = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> BySeller = new(StringComparer.Ordinal);
        public long Total;
    }

    public void Record(string jurisdiction, string seller, long tokens)
    {
        if (tokens <= 0)
        {
            return;
        }

        lock (_gate)
        {
            var s = Current();
            s.ByJurisdiction[jurisdiction] = s.ByJurisdiction.GetValueOrDefault(jurisdiction) + tokens;
            s.BySeller[seller] = s.BySeller.GetValueOrDefault(seller) + tokens;
            s.Total += tokens;
        }
    }

    /// <summary>Tokens in the window: in total, to this jurisdiction and to this seller.</summary>
    public (long Total, long Jurisdiction, long Seller) Of(string jurisdiction, string seller)
    {
        lock (_gate)
        {
            var epoch = Epoch();
            long total = 0, j = 0, s = 0;
            foreach (var slice in _slices)
            {
                if (slice.Epoch > epoch - Slices)
                {
                    total += slice.Total;
                    j += slice.ByJurisdiction.GetValueOrDefault(jurisdiction);
                    s += slice.BySeller.GetValueOrDefault(seller);
                }
            }

            return (total, j, s);
        }
    }

    private long Epoch() => time.GetUtcNow().UtcTicks / _sliceTicks;

    private Slice Current()
    {
        var epoch = Epoch();
        var s = _slices[(int)(epoch % Slices)];
        if (s.Epoch != epoch)
        {
            s.Epoch = epoch;
            s.ByJurisdiction.Clear();
            s.BySeller.Clear();
            s.Total = 0;
        }

        return s;
    }
}
