using System.Globalization;
using System.Text;
using Entrepot.Core.Border;
using Entrepot.Exchange.Relay;
using Entrepot.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Entrepot.Exchange.Api;

/// <summary>
/// GET /v1/trade/declarations: the declarations of cross-border trades and refusals, filtered and
/// paged by sequence number, as JSON or CSV. A buyer key sees its own account's; the admin key sees
/// all (and may filter by account).
/// </summary>
public static class TradeApi
{
    public const int MaxLimit = 1000;

    public static IEndpointRouteBuilder MapTradeApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/trade/declarations", ListDeclarations);
        app.MapGet("/v1/trade/flows", FlowsAsync);
        return app;
    }

    /// <summary>GET /v1/trade/flows?period=P (or since/until): tokens and value by origin and
    /// destination per day, each jurisdiction's balance and the top corridors; JSON or CSV.</summary>
    private static async Task FlowsAsync(HttpContext ctx)
    {
        if (await Caller.IdentifyAsync(ctx).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var services = ctx.RequestServices;
        var account = caller.AccountId;

        var q = ctx.Request.Query;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        DateTimeOffset since, until;
        if (q["period"].ToString() is { Length: > 0 } period)
        {
            if (!Core.Statistics.TradeFlows.TryParsePeriod(period, now, out since, out until))
            {
                await HttpErrors.WriteAsync(ctx, 400, $"'period' must be {Core.Statistics.TradeFlows.PeriodHelp}.", "invalid_request_error", "period", "invalid_parameter").ConfigureAwait(false);
                return;
            }
        }
        else if (!TryTime(q, "since", out var from, out var bad) || !TryTime(q, "until", out var to, out bad))
        {
            await HttpErrors.WriteAsync(ctx, 400, bad!, "invalid_request_error", bad!.Split('\'')[1], "invalid_parameter").ConfigureAwait(false);
            return;
        }
        else
        {
            (since, until) = (from ?? now.AddDays(-30), to ?? now);
        }

        if (!TryLong(q, "top", 1, 100, 10, out var top, out var badTop))
        {
            await HttpErrors.WriteAsync(ctx, 400, badTop!, "invalid_request_error", "top", "invalid_parameter").ConfigureAwait(false);
            return;
        }

        var rows = services.GetRequiredService<Storage.ITradeHistory>().Flows(since, until, account);
        var flows = Core.Statistics.TradeFlows.Of(since, until, rows, (int)top);
        if (q["format"].ToString() == "csv" || ctx.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase))
        {
            ctx.Response.ContentType = "text/csv; charset=utf-8";
            await using var text = new StringWriter { NewLine = "\n" };
            flows.WriteCsv(text);
            await ctx.Response.WriteAsync(text.ToString(), ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        await ctx.Response.WriteAsJsonAsync(flows, ExchangeJsonContext.Default.TradeFlows, contentType: null, ctx.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ListDeclarations(HttpContext ctx)
    {
        if (await Caller.IdentifyAsync(ctx).ConfigureAwait(false) is not { } caller)
        {
            return;
        }

        var services = ctx.RequestServices;
        var account = caller.AccountId;
        var q = ctx.Request.Query;
        if (!TryTime(q, "since", out var since, out var bad) || !TryTime(q, "until", out var until, out bad) ||
            !TryLong(q, "after", 0, long.MaxValue, 0, out var after, out bad) || !TryLong(q, "limit", 1, MaxLimit, 100, out var limit, out bad))
        {
            await HttpErrors.WriteAsync(ctx, 400, bad!, "invalid_request_error", bad!.Split('\'')[1], "invalid_parameter").ConfigureAwait(false);
            return;
        }

        var verdict = q["verdict"].ToString();
        if (verdict.Length > 0 && verdict is not ("allow" or "redact" or "deny"))
        {
            await HttpErrors.WriteAsync(ctx, 400, "'verdict' must be allow, redact or deny.", "invalid_request_error", "verdict", "invalid_parameter").ConfigureAwait(false);
            return;
        }

        var rows = services.GetRequiredService<Storage.ITradeHistory>().Declarations(new Storage.DeclarationQuery
        {
            AccountId = account,
            Origin = Upper(q["origin"].ToString()),
            Destination = Upper(q["destination"].ToString()),
            Verdict = verdict.Length == 0 ? null : verdict,
            ProviderId = q["provider"].ToString() is { Length: > 0 } p ? p : null,
            Since = since,
            Until = until,
            After = after,
            Limit = (int)limit,
        });
        long? next = rows.Count == limit ? rows[^1].Seq : null;
        bool csv = q["format"].ToString() == "csv" || ctx.Request.Headers.Accept.ToString().Contains("text/csv", StringComparison.OrdinalIgnoreCase);
        if (csv)
        {
            ctx.Response.ContentType = "text/csv; charset=utf-8";
            if (next is { } n)
            {
                ctx.Response.Headers["Entrepot-Next-After"] = n.ToString(CultureInfo.InvariantCulture);
            }

            await ctx.Response.WriteAsync(Csv(rows), ctx.RequestAborted).ConfigureAwait(false);
            return;
        }

        var page = new DeclarationPage("list", rows.Select(DeclarationView.Of).ToList(), next);
        await ctx.Response.WriteAsJsonAsync(page, ExchangeJsonContext.Default.DeclarationPage, contentType: null, ctx.RequestAborted).ConfigureAwait(false);
    }

    public static string Csv(IEnumerable<Declaration> rows)
    {
        var sb = new StringBuilder("seq,request_id,timestamp,account_id,origin,destination,provider_id,model,data_class,categories,detected,verdict,rules,redactions,input_tokens,output_tokens,value,currency,rulebook\n");
        foreach (var d in rows)
        {
            string[] cells =
            [
                d.Seq.ToString(CultureInfo.InvariantCulture), d.RequestId, d.Timestamp.UtcDateTime.ToString("O", CultureInfo.InvariantCulture), d.AccountId,
                d.Origin, d.Destination ?? "", d.ProviderId ?? "", d.Model, d.DataClass, d.Categories, d.Detected, d.Verdict, d.Rules,
                d.Redactions.ToString(CultureInfo.InvariantCulture), d.InputTokens.ToString(CultureInfo.InvariantCulture),
                d.OutputTokens.ToString(CultureInfo.InvariantCulture), d.Value.ToString(CultureInfo.InvariantCulture), d.Currency, d.RuleBook,
            ];
            sb.AppendJoin(',', cells.Select(CsvCell)).Append('\n');
        }

        return sb.ToString();
    }

    private static string CsvCell(string s) =>
        s.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;

    private static string? Upper(string s) => s.Length == 0 ? null : s.ToUpperInvariant();

    internal static bool TryTime(IQueryCollection q, string name, out DateTimeOffset? value, out string? error)
    {
        value = null;
        error = null;
        var s = q[name].ToString();
        if (s.Length == 0)
        {
            return true;
        }

        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            value = t;
            return true;
        }

        error = $"'{name}' must be a date or time such as 2026-11-28 or 2026-11-28T10:00:00Z.";
        return false;
    }

    private static bool TryLong(IQueryCollection q, string name, long min, long max, long fallback, out long value, out string? error)
    {
        value = fallback;
        error = null;
        var s = q[name].ToString();
        if (s.Length == 0)
        {
            return true;
        }

        if (long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max)
        {
            return true;
        }

        error = $"'{name}' must be a whole number from {min} to {max}.";
        return false;
    }
}
