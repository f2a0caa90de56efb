using Entrepot.Core.Protocol;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>The buyer-facing endpoints: OpenAI's chat completions, completions and Responses, and
/// Anthropic's Messages (translated to chat completions at the edge, <see cref="Doors"/>).</summary>
public static class OpenAIApi
{
    public static IEndpointRouteBuilder MapOpenAIApi(this IEndpointRouteBuilder app)
    {
        var relay = app.ServiceProvider.GetRequiredService<TradeRelay>();
        app.MapPost("/v1/chat/completions", ctx => relay.HandleAsync(ctx, EndpointKind.ChatCompletions));
        app.MapPost("/v1/completions", ctx => relay.HandleAsync(ctx, EndpointKind.Completions));
        app.MapPost("/v1/embeddings", ctx => relay.HandleAsync(ctx, EndpointKind.Embeddings));
        app.MapPost("/v1/responses", ctx => relay.HandleAsync(ctx, EndpointKind.ChatCompletions, Door.Responses));
        app.MapPost("/v1/messages", ctx =>
        {
            Doors.SpeakAnthropic(ctx);
            return relay.HandleAsync(ctx, EndpointKind.ChatCompletions, Door.Messages);
        });
        app.MapPost("/v1/messages/count_tokens", TokenCountApi.CountAsync);
        app.MapGet("/v1/models", ListModels);
        app.MapGet("/v1/models/{id}", GetModel);
        return app;
    }

    private static Task ListModels(HttpContext ctx)
    {
        var market = ctx.RequestServices.GetRequiredService<Marketplace>();
        if (market.Keys.Authenticate(BearerToken.From(ctx.Request)) is null)
        {
            return HttpErrors.Unauthorized(ctx);
        }

        var routes = market.Routes;
        var data = routes.Models.Select(m => Entry(routes, m)).ToList();
        return ctx.Response.WriteAsJsonAsync(new ModelList("list", data), ExchangeJsonContext.Default.ModelList);
    }

    private static Task GetModel(HttpContext ctx, string id)
    {
        var market = ctx.RequestServices.GetRequiredService<Marketplace>();
        if (market.Keys.Authenticate(BearerToken.From(ctx.Request)) is null)
        {
            return HttpErrors.Unauthorized(ctx);
        }

        var routes = market.Routes;
        if (routes.ServingModel(id).Count == 0)
        {
            return HttpErrors.WriteAsync(ctx, 404, $"The model '{id}' is not offered on this exchange.", "invalid_request_error", "model", "model_not_found");
        }

        return ctx.Response.WriteAsJsonAsync(Entry(routes, id), ExchangeJsonContext.Default.ModelEntry);
    }

    private static ModelEntry Entry(Core.Routing.RouteTable routes, string model) => new(
        model, "model", 0, "entrepot",
        routes.ServingModel(model).Select(c => new ModelOffer(
            c.Provider.Id, c.Provider.Jurisdiction, c.Provider.City,
            c.SpotPrice.InputPerMillion, c.SpotPrice.OutputPerMillion, c.SpotPrice.Currency,
            c.Provider.Price.InputPerMillion, c.Provider.Price.OutputPerMillion, Math.Round(c.Load, 3))
        {
            Embeddings = c.Provider.ServesEmbeddings(model),
            NativeApis = c.Provider.NativeApis,
        }).ToList());
}
