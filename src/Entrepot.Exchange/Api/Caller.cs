using Entrepot.Core.Accounts;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>Who is asking on the endpoints open to both sides: the operator (admin key, sees every
/// account) or a buyer (sees its own account). Anyone else has been answered 401.</summary>
internal readonly record struct Caller(bool IsAdmin, string? AccountId)
{
    /// <returns>Null after writing the 401.</returns>
    public static async Task<Caller?> IdentifyAsync(HttpContext ctx)
    {
        var services = ctx.RequestServices;
        var token = BearerToken.From(ctx.Request);
        var settings = services.GetRequiredService<ExchangeSettings>();
        if (settings.AdminKeyHash is not null && !token.IsEmpty && ApiKeyHash.Matches(token, settings.AdminKeyHash))
        {
            var filter = ctx.Request.Query["account"].ToString();
            return new Caller(true, filter.Length > 0 ? filter : null);
        }

        if (services.GetRequiredService<Marketplace>().Keys.Authenticate(token) is { } key)
        {
            return new Caller(false, key.Account.Id);
        }

        await HttpErrors.Unauthorized(ctx).ConfigureAwait(false);
        return null;
    }
}
