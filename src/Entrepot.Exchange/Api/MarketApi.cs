using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exchange.Api;

/// <summary>
/// The market: exporter nodes' heartbeats (POST /v1/market/heartbeat, signed by the node) and the
/// price index (GET /v1/market/index, for any buyer key or the admin key).
/// </summary>
public static class MarketApi
{
    private const int MaxHeartbeatBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapMarketApi(this IEndpointRouteBuilder app)
    {
        app.MapPost(Heartbeat.Path, HeartbeatAsync);
        app.MapGet("/v1/market/index", IndexAsync);
        return app;
    }

    private static async Task<IResult> HeartbeatAsync(HttpContext ctx, Marketplace market, TimeProvider time, ILoggerFactory log)
    {
        using var read = await RequestBody.ReadAsync(ctx.Request, MaxHeartbeatBytes, ctx.RequestAborted).ConfigureAwait(false);
        if (read is null)
        {
            return AdminApi.Error(413, $"A heartbeat is at most {MaxHeartbeatBytes} bytes.", "invalid_request_error", null);
        }

        var body = read.Memory;

        Heartbeat? beat;
        try
        {
            beat = JsonSerializer.Deserialize(body.Span, ExchangeJsonContext.Default.Heartbeat);
        }
        catch (JsonException e)
        {
            return AdminApi.Error(400, $"The heartbeat is not valid JSON: {e.Path}: {e.Message}", "invalid_request_error", e.Path);
        }

        if (beat?.NodeId is not { Length: > 0 } nodeId)
        {
            return AdminApi.Error(400, "'node_id' is required: the seller id the exchange lists this node under.", "invalid_request_error", "node_id");
        }

        if (market.Routes.Find(nodeId)?.Provider is not { } seller || seller.Kind != ProviderKind.Exporter)
        {
            return AdminApi.Error(404, $"'node_id': no exporter seller '{nodeId}' is listed on this exchange; the operator adds it first.", "invalid_request_error", "node_id");
        }

        if (seller.ReceiptKey is not { } pinned)
        {
            return AdminApi.Error(403, $"Seller '{nodeId}' has no pinned key (receipt_public_key), so its heartbeats cannot be authenticated.", "permission_error", "node_id");
        }

        var publicKey = beat.PublicKey is { } pk ? Receipts.FromBase64Url(pk) : null;
        if (publicKey is not { Length: 32 } || !KeyPin.Matches(pinned, publicKey))
        {
            return AdminApi.Error(403, $"'public_key' is not the key pinned for seller '{nodeId}' ({pinned}).", "permission_error", "public_key");
        }

        var h = ctx.Request.Headers;
        // Replays are refused by the offer book (a sequence number only grows), so no cache is kept here.
        var fault = h[RequestSignature.RequestIdHeader] != Heartbeat.RequestId(nodeId) ? SignatureFault.Mismatch
            : RequestSignature.Verify(new Dictionary<string, byte[]> { [SigningKey.KeyIdOf(publicKey)] = publicKey },
                h.Select(x => KeyValuePair.Create(x.Key, x.Value.ToString())), "POST", Heartbeat.Path, null, body.Span, time.GetUtcNow());
        if (fault != SignatureFault.None)
        {
            return AdminApi.Error(401, fault switch
            {
                SignatureFault.Missing => $"The heartbeat must be signed by the node ({RequestSignature.KeyHeader}, {RequestSignature.TimestampHeader}, {RequestSignature.SignatureHeader}).",
                SignatureFault.UnknownKey => $"The heartbeat is signed with key {h[RequestSignature.KeyHeader]}, not the key pinned for seller '{nodeId}' ({pinned}).",
                SignatureFault.Stale => "The heartbeat's signature is older (or newer) than five minutes.",
                SignatureFault.Mismatch when h[RequestSignature.RequestIdHeader] != Heartbeat.RequestId(nodeId) => $"The heartbeat must carry {RequestSignature.RequestIdHeader}: {Heartbeat.RequestId(nodeId)}.",
                _ => "The heartbeat's signature does not match it.",
            }, "authentication_error", null);
        }

        if (beat.ToOffer(time.GetUtcNow(), out var error, out var field) is not { } offer)
        {
            return AdminApi.Error(400, error!, "invalid_request_error", field);
        }

        // A heartbeat moves the price only within the operator's bounds (and never adds a model: those
        // the operator did not list are left out of the market, not refused).
        var listed = market.Listed(nodeId) ?? seller;
        if (listed.PriceBounds.Check(listed.Price, offer.Price) is { } outOfBounds)
        {
            return AdminApi.Error(400, $"'price': {outOfBounds} (seller '{nodeId}').", "invalid_request_error", "price");
        }

        if (!offer.Models.Any(m => listed.Models.Contains(m, StringComparer.Ordinal)))
        {
            return AdminApi.Error(400, $"'models': none of them is listed for seller '{nodeId}' ({string.Join(", ", listed.Models)}).", "invalid_request_error", "models");
        }

        if (market.Offers.Publish(offer) is { } stale)
        {
            return AdminApi.Error(409, "'sequence': " + stale, "invalid_request_error", "sequence");
        }

        try
        {
            market.ShareOffer(offer, System.Text.Encoding.UTF8.GetString(body.Span));
        }
        catch (Npgsql.NpgsqlException e)
        {
            // The offer is live here; the other exchange nodes see it with the next heartbeat that can be kept.
            log.CreateLogger("Entrepot.Exchange.Market").LogWarning("Heartbeat of {Node} not shared with the other exchange nodes: {Error}", nodeId, e.Message);
        }

        var now = market.Routes.Find(nodeId)!;
        return TypedResults.Json(new HeartbeatAck(true, nodeId, now.SpotPrice.InputPerMillion, now.SpotPrice.OutputPerMillion, now.SpotPrice.Currency,
            SpotPrice.Multiplier(offer.Load), offer.ExpiresAt, now.Provider.Models, offer.Models.Except(listed.Models, StringComparer.Ordinal).ToList(),
            now.Provider.Capacity), ExchangeJsonContext.Default.HeartbeatAck);
    }

    private static async Task IndexAsync(HttpContext ctx)
    {
        if (await Caller.IdentifyAsync(ctx).ConfigureAwait(false) is null)
        {
            return; // the index is market data: any buyer may read it
        }

        var services = ctx.RequestServices;
        var q = ctx.Request.Query;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        if (!TradeApi.TryTime(q, "since", out var since, out var bad) || !TradeApi.TryTime(q, "until", out var until, out bad))
        {
            await HttpErrors.WriteAsync(ctx, 400, bad!, "invalid_request_error", bad!.Split('\'')[1], "invalid_parameter").ConfigureAwait(false);
            return;
        }

        var interval = q["interval"].ToString() is { Length: > 0 } iv ? iv : "hour";
        if (interval is not ("hour" or "day"))
        {
            await HttpErrors.WriteAsync(ctx, 400, "'interval' must be hour or day.", "invalid_request_error", "interval", "invalid_parameter").ConfigureAwait(false);
            return;
        }

        var index = services.GetRequiredService<Storage.IPriceIndex>();
        index.Update(); // take in what was traded since the last tick, so the answer is current
        var cls = q["model_class"].ToString() is { Length: > 0 } m ? m.ToLowerInvariant() : null;
        var jurisdiction = q["jurisdiction"].ToString() is { Length: > 0 } j ? j.ToUpperInvariant() : null;
        var points = index.Query(since ?? now.AddDays(-7), until ?? now.AddHours(1), cls, jurisdiction, interval == "day");
        var view = new PriceIndexView("list", interval, "value per million tokens (input and output together) in the trades' currency, volume-weighted", points.ToList());
        await ctx.Response.WriteAsJsonAsync(view, ExchangeJsonContext.Default.PriceIndexView, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
    }
}
