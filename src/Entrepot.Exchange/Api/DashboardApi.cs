using System.Globalization;
using Entrepot.Core.Routing;
using Entrepot.Exchange.Hosting;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Entrepot.Exchange.Api;

/// <summary>
/// The dashboard: its page and scripts at / (embedded in the program, no third-party code, nothing
/// fetched from the internet) and one JSON snapshot under /admin/dashboard that the page polls:
/// the cable network with its faults, the sellers, recent flows, the price index, recent compliance
/// interventions, and the ledger's and the market's health.
/// </summary>
public static class DashboardApi
{
    private static readonly (string Path, string Resource, string Type)[] Files =
    [
        ("/", "dashboard.index.html", "text/html; charset=utf-8"),
        ("/dashboard/app.js", "dashboard.app.js", "text/javascript; charset=utf-8"),
        ("/dashboard/world.js", "dashboard.world.js", "text/javascript; charset=utf-8"),
        ("/dashboard/style.css", "dashboard.style.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app)
    {
        foreach (var (path, resource, type) in Files)
        {
            var bytes = Load(resource);
            app.MapGet(path, (HttpContext ctx) =>
            {
                ctx.Response.Headers.CacheControl = "no-cache";
                ctx.Response.Headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'";
                return TypedResults.Bytes(bytes, type);
            });
        }

        return app;
    }

    public static RouteGroupBuilder MapDashboardData(this RouteGroupBuilder admin)
    {
        admin.MapGet("/dashboard", Snapshot);
        return admin;
    }

    /// <summary>Live size and last entry; the verdict of the last full verification (at most a minute old).</summary>
    private static LedgerHealth Ledger(LedgerWatch watch, Storage.ILedgerStore store)
    {
        var verified = watch.Current(TimeSpan.FromSeconds(60))
            ?? new LedgerHealth(false, "verifying ...", 0, 0, null, DateTimeOffset.MinValue);
        return verified with { Entries = store.Count, LastEntry = store.LastEntryTime() };
    }

    private static byte[] Load(string resource)
    {
        using var stream = typeof(DashboardApi).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{resource} is not embedded in the exchange.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static IResult Snapshot(Marketplace market, ExchangeSettings settings, Storage.ITradeHistory history,
        Storage.IPriceIndex index, LedgerWatch ledger, Storage.ILedgerStore store, Settlement.SellerDisputes disputes, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var routes = market.Routes;
        var sellers = routes.All.Select(c => new DashboardSeller(
            c.Provider.Id, c.Provider.Jurisdiction, c.Provider.City, market.LocodeOf(c.Provider),
            c.InMarket, c.Reachable, c.Health.Circuit.State.ToString().ToLowerInvariant(),
            c.Reachable ? Math.Round(c.EstimatedRoundTripMs, 1) : null, c.Health.MeasuredTtfbMs is { } t ? Math.Round(t, 1) : null,
            Math.Round(c.Load, 3), c.Provider.Price.InputPerMillion, c.Provider.Price.OutputPerMillion,
            c.SpotPrice.InputPerMillion, c.SpotPrice.OutputPerMillion, c.SpotPrice.Currency,
            market.Offers.LastHeartbeat(c.Provider.Id), c.Path, disputes.Of(c.Provider.Id))).ToList();

        var flows = history.Recent(now.AddMinutes(-5), 100)
            .Select(u => new DashboardFlow(u.RequestId, u.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), u.ProviderId!, u.Origin, u.Destination,
                u.InputTokens + u.OutputTokens, u.Outcome, u.Cost, u.Currency))
            .ToList();

        index.Update();
        var points = index.Query(now.AddHours(-24), now.AddHours(1), null, null, daily: false).ToList();
        var interventions = history.Declarations(new Storage.DeclarationQuery { Interventions = true, Newest = true, Limit = 20 })
            .Select(d => new DashboardDecision(d.Timestamp, d.Origin, d.Destination, d.ProviderId, d.DataClass, d.Verdict, d.Rules, d.Redactions))
            .ToList();

        var health = new DashboardHealth(
            routes.All.Count, routes.All.Count(c => c.InMarket), routes.All.Count(c => c.InMarket && c.Reachable),
            routes.All.Count(c => c.Health.Circuit.State == CircuitState.Open), routes.Models.Count, market.Faults.Cut.Count);

        return TypedResults.Json(new DashboardView(now, settings.Jurisdiction, settings.City, market.ExchangeLocode,
            NetworkApi.View(market), sellers, flows, points, interventions, Ledger(ledger, store), health),
            ExchangeJsonContext.Default.DashboardView);
    }
}
