using Entrepot.Core.Network;
using Entrepot.Exchange.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Entrepot.Exchange.Api;

/// <summary>
/// The cable network as the exchange routes over it, under /admin (behind the admin key): the graph
/// with the cables now cut, round-trip estimates, and cutting or restoring a cable, which re-routes at once.
/// </summary>
public static class NetworkApi
{
    public static RouteGroupBuilder MapNetworkApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/network", (Marketplace market) => TypedResults.Json(View(market), ExchangeJsonContext.Default.NetworkView));
        admin.MapGet("/network/rtt", Rtt);
        admin.MapPost("/network/cuts", CutAsync);
        admin.MapDelete("/network/cuts/{cable}", (string cable, Marketplace market) => Restore(cable, market));
        return admin;
    }

    private static async Task<IResult> CutAsync(HttpContext ctx, Marketplace market)
    {
        CableCut? body;
        try
        {
            body = await ctx.Request.ReadFromJsonAsync(ExchangeJsonContext.Default.CableCut, ctx.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return AdminApi.Error(400, "The request body must be a JSON object such as {\"cable\": \"aae-1\"}.", "invalid_request_error", "cable");
        }

        if (string.IsNullOrWhiteSpace(body?.Cable) || market.Network.Cable(body.Cable) is not { } cable)
        {
            return AdminApi.Error(404, $"'cable' must name a cable of the network ('{body?.Cable}' is not one); GET /admin/network lists them.", "invalid_request_error", "cable");
        }

        market.Faults.CutCable(cable.Id);
        return TypedResults.Json(View(market), ExchangeJsonContext.Default.NetworkView);
    }

    private static IResult Restore(string name, Marketplace market)
    {
        if (market.Network.Cable(name) is not { } cable)
        {
            return AdminApi.Error(404, $"'cable': '{name}' is not a cable of the network; GET /admin/network lists them.", "invalid_request_error", "cable");
        }

        market.Faults.Restore(cable.Id);
        return TypedResults.Json(View(market), ExchangeJsonContext.Default.NetworkView);
    }

    private static IResult Rtt(HttpContext ctx, Marketplace market)
    {
        var q = ctx.Request.Query;
        var cut = new HashSet<string>(market.Faults.Cut, StringComparer.Ordinal);
        foreach (var name in q["cut"])
        {
            if (market.Network.Cable(name ?? "") is not { } c)
            {
                return AdminApi.Error(400, $"'cut': '{name}' is not a cable of the network.", "invalid_request_error", "cut");
            }

            cut.Add(c.Id);
        }

        foreach (var field in new[] { "from", "to" })
        {
            if (market.Network.Location(q[field].ToString()) is null)
            {
                return AdminApi.Error(400, $"'{field}' must be a UN/LOCODE of the network ('{q[field]}' is not one).", "invalid_request_error", field);
            }
        }

        var route = market.Network.Route(q["from"].ToString(), q["to"].ToString(), cut);
        return TypedResults.Json(RttView.Of(q["from"].ToString().ToUpperInvariant(), q["to"].ToString().ToUpperInvariant(), route), ExchangeJsonContext.Default.RttView);
    }

    public static NetworkView View(Marketplace market)
    {
        var n = market.Network;
        var cut = market.Faults.Cut;
        return new NetworkView(
            market.ExchangeLocode,
            cut.ToList(),
            n.Locations.Select(l => new LocationView(l.Locode, l.Name, l.Country, l.Point.Latitude, l.Point.Longitude, l.Inference)).ToList(),
            n.Cables.Select(c => new CableView(c.Id, c.Name, c.LengthKm, c.ReadyForService, cut.Contains(c.Id),
                c.Segments.Select(s => new[] { s.From, s.To }).ToList(), c.Source)).ToList(),
            n.Links.Where(l => l.Cable is null).Select(l => new[] { l.From, l.To }).ToList(),
            market.Routes.All.Select(c => new SellerPath(c.Provider.Id, market.LocodeOf(c.Provider), c.Reachable,
                c.Reachable ? Math.Round(c.EstimatedRoundTripMs, 1) : null, c.Path, c.Health.MeasuredTtfbMs is { } t ? Math.Round(t, 1) : null)).ToList());
    }
}
