namespace Entrepot.Core.Routing;

/// <summary>
/// Orders the candidates for one request: filter by the buyer's preferences, rank by the chosen
/// strategy, put explicitly ordered providers first and open circuits last, then cut the list to
/// one when fallbacks are not allowed. Pure: everything it needs is passed in.
/// </summary>
public static class Router
{
    /// <param name="rates">Converts offers in other currencies for the buyer's max_price (which is in USD).</param>
    public static RouteFailure Plan(RouteTable table, string model, ProviderPreferences prefs, SortBy defaultSort, List<Candidate> result, Market.ExchangeRates? rates = null)
    {
        result.Clear();
        var serving = table.ServingModel(model);
        if (serving.Count == 0)
        {
            return RouteFailure.UnknownModel;
        }

        var unreachable = 0;
        foreach (var c in serving)
        {
            if (!c.Reachable)
            {
                unreachable++;
            }
            else if (IsAllowed(c, prefs, rates))
            {
                result.Add(c);
            }
        }

        if (result.Count == 0)
        {
            return unreachable == serving.Count ? RouteFailure.Unreachable : RouteFailure.ExcludedByPreferences;
        }

        if (result.Count > 1)
        {
            Rank(result, prefs, prefs.Sort ?? defaultSort);
        }

        if (!prefs.AllowFallbacks)
        {
            var keep = prefs.Order.Count > 0
                ? result.Count(c => Contains(prefs.Order, c.Provider.Id))
                : 1;
            if (keep == 0)
            {
                keep = 1;
            }

            result.RemoveRange(keep, result.Count - keep);
        }

        return RouteFailure.None;
    }

    internal static bool IsAllowed(Candidate c, ProviderPreferences prefs, Market.ExchangeRates? rates = null)
    {
        var p = c.Provider;
        if (prefs.Only is { } only && !Contains(only, p.Id))
        {
            return false;
        }

        if (Contains(prefs.Ignore, p.Id))
        {
            return false;
        }

        if (prefs.Jurisdictions is { } allowed && !ContainsIgnoreCase(allowed, p.Jurisdiction))
        {
            return false;
        }

        if (ContainsIgnoreCase(prefs.ExcludeJurisdictions, p.Jurisdiction))
        {
            return false;
        }

        if (prefs.MaxPromptPrice is not null || prefs.MaxCompletionPrice is not null)
        {
            // max_price is in USD (as OpenRouter's is): another currency is converted at the rate
            // table, and a price that cannot be converted is not assumed to be acceptable.
            // Compared with the spot price: what the buyer would actually pay now.
            decimal input = c.SpotPrice.InputPerMillion, output = c.SpotPrice.OutputPerMillion;
            var currency = c.SpotPrice.Currency.ToUpperInvariant();
            if (currency != "USD" && (rates is null || !rates.TryConvert(input, currency, "USD", out input) || !rates.TryConvert(output, currency, "USD", out output)))
            {
                return false;
            }

            if (input > prefs.MaxPromptPrice || output > prefs.MaxCompletionPrice)
            {
                return false;
            }
        }

        return true;
    }

    private static void Rank(List<Candidate> list, ProviderPreferences prefs, SortBy sort)
    {
        var minPrice = double.MaxValue;
        var minLatency = double.MaxValue;
        foreach (var c in list)
        {
            minPrice = Math.Min(minPrice, (double)c.BlendedPrice);
            minLatency = Math.Min(minLatency, c.LatencyMs);
        }

        minPrice = Math.Max(minPrice, 1e-9);
        minLatency = Math.Max(minLatency, 1e-3);

        double Score(Candidate c) => sort switch
        {
            SortBy.Price => (double)c.BlendedPrice,
            SortBy.Latency => c.LatencyMs,
            SortBy.Throughput => -c.TokensPerSecond,
            _ => (double)c.BlendedPrice / minPrice + c.LatencyMs / minLatency,
        };

        list.Sort((a, b) =>
        {
            // An explicit order wins over any score; open circuits go last but stay as a last resort.
            var byOrder = OrderIndex(prefs.Order, a).CompareTo(OrderIndex(prefs.Order, b));
            if (byOrder != 0)
            {
                return byOrder;
            }

            var byCircuit = IsOpen(a).CompareTo(IsOpen(b));
            if (byCircuit != 0)
            {
                return byCircuit;
            }

            var byScore = Score(a).CompareTo(Score(b));
            return byScore != 0 ? byScore : string.CompareOrdinal(a.Provider.Id, b.Provider.Id);
        });
    }

    private static bool IsOpen(Candidate c) => c.Health.Circuit.State == CircuitState.Open;

    private static int OrderIndex(IReadOnlyList<string> order, Candidate c)
    {
        for (var i = 0; i < order.Count; i++)
        {
            if (string.Equals(order[i], c.Provider.Id, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return int.MaxValue;
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (var s in list)
        {
            if (string.Equals(s, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsIgnoreCase(IReadOnlyList<string> list, string value)
    {
        foreach (var s in list)
        {
            if (string.Equals(s, value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
