using System.Collections.Concurrent;

namespace Entrepot.Core.Routing;

/// <summary>
/// Applies buyers' diversification caps to a ranked candidate list: a seller whose jurisdiction or
/// own share of the account's tokens in the window has reached its cap moves behind every seller
/// still under the caps. It stays a fallback, so a buyer is still served when the others fail, but
/// while an alternative is healthy the traffic spreads.
/// </summary>
public sealed class Diversifier(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (DiversificationPolicy Policy, Exposure Exposure)> _accounts = new(StringComparer.Ordinal);

    /// <summary>The accounts with caps set.</summary>
    public IReadOnlyList<string> Accounts => _accounts.Keys.ToList();

    /// <summary>The caps in force for an account, if any.</summary>
    public DiversificationPolicy? PolicyOf(string accountId) => _accounts.TryGetValue(accountId, out var a) ? a.Policy : null;

    public void Set(string accountId, DiversificationPolicy? policy)
    {
        if (policy is null)
        {
            _accounts.TryRemove(accountId, out _);
            return;
        }

        if (_accounts.TryGetValue(accountId, out var current) && current.Policy == policy)
        {
            return; // the same caps again (a reload): the window's exposure is kept
        }

        _accounts[accountId] = (policy, new Exposure(policy.Window, time));
    }

    public bool Any => !_accounts.IsEmpty;

    /// <summary>Reorders <paramref name="ranked"/> in place; returns the ids of the sellers moved back.</summary>
    public IReadOnlyList<string>? Apply(string accountId, List<Candidate> ranked)
    {
        if (ranked.Count < 2 || !_accounts.TryGetValue(accountId, out var a))
        {
            return null;
        }

        List<Candidate>? capped = null;
        foreach (var c in ranked)
        {
            if (AtCap(a.Policy, a.Exposure, c))
            {
                (capped ??= []).Add(c);
            }
        }

        if (capped is null || capped.Count == ranked.Count)
        {
            return null; // nobody to spread to: the ranking stands
        }

        ranked.RemoveAll(capped.Contains);
        ranked.AddRange(capped);
        return capped.Select(c => c.Provider.Id).ToArray();
    }

    public void Record(string accountId, string jurisdiction, string sellerId, long tokens)
    {
        if (_accounts.TryGetValue(accountId, out var a))
        {
            a.Exposure.Record(jurisdiction, sellerId, tokens);
        }
    }

    private static bool AtCap(DiversificationPolicy p, Exposure e, Candidate c)
    {
        var (total, j, s) = e.Of(c.Provider.Jurisdiction, c.Provider.Id);
        if (total < Math.Max(1, p.MinTokens))
        {
            return false;
        }

        return (p.MaxJurisdictionShare is { } mj && j >= mj * total) || (p.MaxSellerShare is { } ms && s >= ms * total);
    }
}
