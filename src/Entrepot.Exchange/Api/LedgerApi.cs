using Entrepot.Core.Ledger;
using Entrepot.Core.Trust;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>
/// GET /v1/ledger/checkpoints[?after=SEQ&amp;limit=N]: the ledger's signed checkpoints, published to
/// everyone who trades here (a buyer's key, the admin key, or a request a listed seller signed with
/// its pinned key), so they can keep copies and later prove, with <c>entrepot ledger verify
/// --checkpoints</c>, that the ledger still contains what it contained then: the exchange's disk is
/// not the only witness to its history.
/// </summary>
public static class LedgerApi
{
    public static IEndpointRouteBuilder MapLedgerApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/ledger/checkpoints", Checkpoints);
        return app;
    }

    private static async Task Checkpoints(HttpContext ctx)
    {
        var services = ctx.RequestServices;
        var market = services.GetRequiredService<Marketplace>();
        var settings = services.GetRequiredService<ExchangeSettings>();
        var token = BearerToken.From(ctx.Request);
        var known = (!token.IsEmpty && settings.AdminKeyHash is { } admin && Core.Accounts.ApiKeyHash.Matches(token, admin))
            || market.Keys.Authenticate(token) is not null
            || SignedBySeller(ctx, market, services.GetRequiredService<TimeProvider>());
        if (!known)
        {
            await HttpErrors.Unauthorized(ctx).ConfigureAwait(false);
            return;
        }

        var q = ctx.Request.Query;
        long after = 0;
        int limit = 1000;
        if ((q.TryGetValue("after", out var a) && !long.TryParse(a, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out after)) ||
            (q.TryGetValue("limit", out var l) && (!int.TryParse(l, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 10_000)))
        {
            await HttpErrors.WriteAsync(ctx, 400, "'after' must be a sequence number and 'limit' from 1 to 10000.", "invalid_request_error", a.Count > 0 ? "limit" : "after", "invalid_parameter").ConfigureAwait(false);
            return;
        }

        var key = services.GetRequiredService<SigningKey>();
        var marks = services.GetRequiredService<Storage.ILedgerStore>().Checkpoints(after, limit + 1);
        var page = new CheckpointPage("list", key.KeyId, Receipts.Base64Url(key.PublicKey), marks.Take(limit).ToList(), marks.Count > limit);
        await ctx.Response.WriteAsJsonAsync(page, ExchangeJsonContext.Default.CheckpointPage, cancellationToken: ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>A request signed by a listed exporter seller with the whole public key pinned for it.</summary>
    private static bool SignedBySeller(HttpContext ctx, Marketplace market, TimeProvider time)
    {
        var h = ctx.Request.Headers;
        if (h[RequestSignature.KeyHeader].ToString() is not { Length: > 0 } kid)
        {
            return false;
        }

        foreach (var c in market.Routes.All)
        {
            if (c.Provider.ReceiptKey is { } pin && !KeyPin.IsKeyId(pin) && Receipts.FromBase64Url(pin) is { Length: 32 } pk && SigningKey.KeyIdOf(pk) == kid)
            {
                return RequestSignature.Verify(new Dictionary<string, byte[]> { [kid] = pk }, h.Select(x => KeyValuePair.Create(x.Key, x.Value.ToString())),
                    "GET", ctx.Request.Path + ctx.Request.QueryString, null, [], time.GetUtcNow()) == SignatureFault.None;
            }
        }

        return false;
    }
}

public sealed record CheckpointPage(
    [property: System.Text.Json.Serialization.JsonPropertyName("object")] string Object,
    [property: System.Text.Json.Serialization.JsonPropertyName("key_id")] string KeyId,
    [property: System.Text.Json.Serialization.JsonPropertyName("public_key")] string PublicKey,
    [property: System.Text.Json.Serialization.JsonPropertyName("data")] IReadOnlyList<LedgerCheckpoint> Data,
    [property: System.Text.Json.Serialization.JsonPropertyName("has_more")] bool HasMore);
