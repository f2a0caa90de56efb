using Entrepot.Core.Accounts;
using Entrepot.Core.Market;
using Entrepot.Core.Network;
using Entrepot.Core.Routing;
using Entrepot.Storage.Sqlite;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// The exchange's live view of sellers and buyers: one route table and one key ring, each read
/// through a single volatile reference by the request path and replaced whole on change.
/// Providers from the configuration file are fixed; the admin API adds and removes others.
/// </summary>
public sealed class Marketplace
{
    private readonly IReadOnlyList<Provider> _configured;
    private readonly SqliteProviderStore _providers;
    private readonly SqliteAccountStore _accounts;
    private readonly GeoPoint? _location;
    private readonly TimeProvider _time;
    private readonly Lock _reload = new();
    private RouteTable _routes = RouteTable.Empty;
    private KeyRing _keys = KeyRing.Empty;

    public Marketplace(IReadOnlyList<Provider> configured, SqliteProviderStore providers, SqliteAccountStore accounts, GeoPoint? location, TimeProvider time)
    {
        _configured = configured;
        _providers = providers;
        _accounts = accounts;
        _location = location;
        _time = time;
        ReloadProviders();
        ReloadKeys();
    }

    public RouteTable Routes => Volatile.Read(ref _routes);

    /// <summary>The buyer accounts.</summary>
    public SqliteAccountStore Accounts => _accounts;
    public KeyRing Keys => Volatile.Read(ref _keys);

    public bool IsConfigured(string providerId) => _configured.Any(p => p.Id == providerId);

    public void ReloadProviders()
    {
        lock (_reload)
        {
            var byId = _configured.ToDictionary(p => p.Id, StringComparer.Ordinal);
            foreach (var spec in _providers.List())
            {
                if (spec.ToProvider(out _) is { } p && !byId.ContainsKey(p.Id))
                {
                    byId[p.Id] = p;
                }
            }

            Volatile.Write(ref _routes, new RouteTable(byId.Values.OrderBy(p => p.Id, StringComparer.Ordinal), _location, _time, _routes));
        }
    }

    public void ReloadKeys()
    {
        lock (_reload)
        {
            Volatile.Write(ref _keys, _accounts.LoadKeyRing());
        }
    }
}
