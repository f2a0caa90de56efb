using System.Globalization;
using Entrepot.Core.Routing;
using Entrepot.Storage.Redis;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Entrepot.Exchange.Hosting;

/// <summary>
/// What makes several exchange nodes one exchange, over Redis pub/sub: a node whose circuit to a
/// seller opens tells the others, which open theirs until the same time (so the seller is avoided
/// everywhere within one message's latency); a success that closes it is told too. Changes made
/// through one node's admin API (providers, keys, budgets, limits, caps, cable faults) are announced
/// so the others reload. Budget holds and leases are shared through Redis directly; subject counts live in PostgreSQL.
/// </summary>
public sealed class Cluster : IDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly Marketplace _market;
    private readonly RedisBudgetBook _budgets;
    private readonly ILogger _log;
    private readonly HashSet<ProviderHealth> _attached = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _gate = new();
    // Set on the thread applying another node's change, so what that change raises is not announced
    // back; per thread, so a local change made meanwhile on another thread is still announced.
    [ThreadStatic]
    private static int _applyingRemote;

    private readonly AccountControls _controls;

    public Cluster(string nodeId, IConnectionMultiplexer redis, Marketplace market, RedisBudgetBook budgets, ILogger log, string prefix,
        AccountControls controls)
    {
        _controls = controls;
        Channel = prefix + "events";
        NodeId = nodeId;
        _redis = redis;
        _market = market;
        _budgets = budgets;
        _log = log;
        _redis.GetSubscriber().Subscribe(RedisChannel.Literal(Channel), (_, message) => OnMessage(message!));
        _market.RoutesChanged += Attach;
        _market.Announce = Announce;
        _market.Faults.Changed += () => Announce("cuts");
        _redis.ConnectionRestored += OnReconnected;
        Attach();
    }

    public string NodeId { get; }

    /// <summary>The pub/sub channel of this exchange's nodes.</summary>
    public string Channel { get; }

    /// <summary>Tells the other nodes to reload something (providers, keys, budgets, cuts).</summary>
    public void Announce(string what)
    {
        if (_applyingRemote > 0)
        {
            return; // a change we are applying from another node: do not echo it back
        }

        Publish($"changed|{what}||{NodeId}");
    }

    private void Publish(string message)
    {
        try
        {
            _redis.GetSubscriber().Publish(RedisChannel.Literal(Channel), message, CommandFlags.FireAndForget);
        }
        catch (RedisException e)
        {
            _log.LogWarning("Cannot tell the other exchange nodes ({Message}): {Error}", message, e.Message);
        }
    }

    /// <summary>Subscribes to the circuit of every seller not yet watched (route tables are rebuilt,
    /// health objects carry over, new sellers bring new ones).</summary>
    private void Attach()
    {
        foreach (var c in _market.Routes.All)
        {
            var health = c.Health;
            var id = c.Provider.Id;
            lock (_gate)
            {
                if (!_attached.Add(health))
                {
                    continue;
                }
            }

            health.Circuit.Opened += until => Publish($"open|{id}|{until.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{NodeId}");
            health.Circuit.Closed += () => Publish($"closed|{id}||{NodeId}");
        }
    }

    private void OnMessage(string message)
    {
        var parts = message.Split('|');
        if (parts.Length < 4 || parts[^1] == NodeId)
        {
            return;
        }

        switch (parts[0])
        {
            case "open" when _market.Routes.Find(parts[1]) is { } c && long.TryParse(parts[2], CultureInfo.InvariantCulture, out var ticks):
                Apply(message, () => c.Health.Circuit.OpenUntil(new DateTimeOffset(ticks, TimeSpan.Zero)));
                break;
            case "closed" when _market.Routes.Find(parts[1]) is { } c:
                Apply(message, c.Health.Circuit.CloseRemotely);
                break;
            case "changed":
                // Reloading reads the shared stores with blocking calls: on the thread pool, never on
                // the thread that delivered the message.
                var what = parts[1];
                _ = Task.Run(() => Apply(message, () => Reload(what)));
                break;
        }
    }

    /// <summary>Applies another node's change on this thread, without announcing back what it raises.</summary>
    private void Apply(string message, Action change)
    {
        _applyingRemote++;
        try
        {
            change();
        }
        catch (Exception e) when (e is RedisException or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException or InvalidOperationException)
        {
            _log.LogWarning("Applying '{Message}' from another exchange node failed: {Error}", message, e.Message);
        }
        finally
        {
            _applyingRemote--;
        }
    }

    // Pub/sub delivers a message to the nodes connected when it is sent: a change announced while
    // this node was cut off from Redis (or by a node that could not reach it) never arrives. So a node
    // whose subscription comes back reads everything another node may have changed from the shared
    // stores. Budgets are not among them: a Redis back without its data must keep refusing holds until
    // the budgets are set again (its counters are gone), and their definitions live in Redis anyway.
    private void OnReconnected(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Subscription)
        {
            return;
        }

        _log.LogInformation("Reconnected to Redis: reloading what other exchange nodes may have changed meanwhile");
        _ = Task.Run(() =>
        {
            foreach (var what in Resynced)
            {
                Apply("changed|" + what + "|| (after reconnecting)", () => Reload(what));
            }
        });
    }

    private static readonly string[] Resynced = ["limits", "caps", "providers", "keys", "cuts", "offers"];

    private void Reload(string what)
    {
        switch (what)
        {
            case "budgets":
                _controls.Apply(Storage.SettingKinds.Budget); // from the shared store, so a lost Redis definition comes back too
                break;
            case "limits":
                _controls.Apply(Storage.SettingKinds.Limits);
                break;
            case "caps":
                _controls.Apply(Storage.SettingKinds.Caps);
                break;
            case "providers":
                _market.ReloadProviders();
                break;
            case "keys":
                _market.ReloadKeys();
                break;
            case "cuts":
                _market.ReloadFaults();
                break;
            case "offers":
                _market.ReloadOffers();
                break;
        }
    }

    public void Dispose()
    {
        _redis.ConnectionRestored -= OnReconnected;
        _budgets.Dispose();
    }
}
