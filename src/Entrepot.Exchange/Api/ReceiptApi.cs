using Entrepot.Core.Trust;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>
/// GET /v1/receipts/{id}: the countersigned receipt of a request (id: the Entrepot-Request-Id
/// header); a buyer sees only its own. GET /.well-known/entrepot/keys: the exchange's public key.
/// </summary>
public static class ReceiptApi
{
    public static IEndpointRouteBuilder MapReceiptApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/receipts/{id}", Get);
        app.MapGet("/.well-known/entrepot/keys", (SigningKey key, ExchangeSettings settings) => TypedResults.Json(
            new KeySetView([new KeyView(key.KeyId, "Ed25519", Receipts.Base64Url(key.PublicKey), "exchange-" + settings.Jurisdiction.ToLowerInvariant(), "receipt")]),
            ExchangeJsonContext.Default.KeySetView));
        return app;
    }

    private static async Task Get(HttpContext ctx, string id)
    {
        var key = ctx.RequestServices.GetRequiredService<Marketplace>().Keys.Authenticate(BearerToken.From(ctx.Request));
        if (key is null)
        {
            await HttpErrors.Unauthorized(ctx).ConfigureAwait(false);
            return;
        }

        var doc = ctx.RequestServices.GetRequiredService<SqliteReceiptStore>().Find(id, key.Account.Id);
        if (doc is null)
        {
            await HttpErrors.WriteAsync(ctx, 404, $"No receipt '{id}' for this account (receipts are ready a few milliseconds after the response).",
                "invalid_request_error", "id", "receipt_not_found").ConfigureAwait(false);
            return;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(doc, ctx.RequestAborted).ConfigureAwait(false);
    }
}
