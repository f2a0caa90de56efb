using Entrepot.Core.Metering;
using Entrepot.Core.Protocol;
using Entrepot.Core.Protocol.Doors;
using Entrepot.Exchange.Hosting;
using Entrepot.Exchange.Relay;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>
/// <c>POST /v1/messages/count_tokens</c>, answered by the exchange itself: the prompt is never sent
/// to a seller to be counted (that would be a transfer of its own). The count is the one the
/// exchange settles with for the model: its tokenizer where one is configured, else its estimate.
/// </summary>
internal static class TokenCountApi
{
    public static async Task CountAsync(HttpContext ctx)
    {
        Doors.SpeakAnthropic(ctx);
        var services = ctx.RequestServices;
        var market = services.GetRequiredService<Marketplace>();
        if (market.Keys.Authenticate(BearerToken.From(ctx.Request)) is null)
        {
            await HttpErrors.Unauthorized(ctx).ConfigureAwait(false);
            return;
        }

        var settings = services.GetRequiredService<ExchangeSettings>();
        using var body = await RequestBody.ReadAsync(ctx.Request, settings.MaxRequestBytes, ctx.RequestAborted).ConfigureAwait(false);
        if (body is null)
        {
            await HttpErrors.WriteAsync(ctx, 413, $"The request body exceeds {settings.MaxRequestBytes} bytes.", "invalid_request_error", null, "request_too_large").ConfigureAwait(false);
            return;
        }

        RequestError? error = new("The request body is not valid UTF-8; send JSON encoded as UTF-8.", null, "invalid_encoding");
        var translation = System.Text.Unicode.Utf8.IsValid(body.Span) ? MessagesDoor.ReadForCounting(body.Span, out error) : null;
        var request = translation is null ? null : InferenceRequestParser.Parse(translation.ChatBody, EndpointKind.ChatCompletions, out error);
        if (request is null)
        {
            await HttpErrors.WriteAsync(ctx, 400, error!).ConfigureAwait(false);
            return;
        }

        if (market.Routes.ServingModel(request.Model).Count == 0)
        {
            await HttpErrors.WriteAsync(ctx, 404, $"The model '{request.Model}' is not offered on this exchange.", "invalid_request_error", "model", "model_not_found").ConfigureAwait(false);
            return;
        }

        var tokens = services.GetRequiredService<TokenCounters>().For(request.Model).CountPrompt(request.Content);
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync($"{{\"input_tokens\":{tokens}}}").ConfigureAwait(false);
    }
}
