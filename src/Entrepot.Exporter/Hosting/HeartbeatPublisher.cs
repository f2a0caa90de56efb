using System.Net.Http.Headers;
using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;
using Microsoft.Extensions.Logging;

namespace Entrepot.Exporter.Hosting;

/// <summary>
/// Posts the node's offer and load to each exchange every interval, signed with the node's receipt
/// key. A failed post is logged once per outage and retried on the next beat; the node keeps
/// serving either way (the exchange decides when a silent node leaves its market).
/// </summary>
internal sealed class HeartbeatPublisher(ExporterHost node, SigningKey key, MarketSection market, HttpMessageInvoker http, TimeProvider time, ILogger logger)
{
    private readonly Dictionary<string, bool> _failing = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(market.IntervalSeconds), time);
        do
        {
            foreach (var url in market.ExchangeUrls)
            {
                await BeatAsync(new Uri(new Uri(url.TrimEnd('/') + "/"), Heartbeat.Path.TrimStart('/')), ct).ConfigureAwait(false);
            }
        }
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
    }

    public Heartbeat Current()
    {
        var price = node.Config.Node.Price;
        return new Heartbeat
        {
            NodeId = node.Config.Node.Id,
            PublicKey = Receipts.Base64Url(key.PublicKey),
            Sequence = time.GetUtcNow().ToUnixTimeMilliseconds(),
            IntervalSeconds = market.IntervalSeconds,
            Models = node.Engine.Models.ToList(),
            Price = new PriceSpec { Input = price?.Input ?? 0, Output = price?.Output ?? 0, Currency = price?.Currency ?? "USD" },
            Capacity = node.Admission.MaxConcurrency,
            InFlight = node.Admission.InFlight,
            Queued = node.Admission.Queued,
        };
    }

    private async Task BeatAsync(Uri target, CancellationToken ct)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(Current(), ExporterJsonContext.Default.Heartbeat);
        var requestId = Heartbeat.RequestId(node.Config.Node.Id);
        var (keyId, timestamp, signature) = RequestSignature.Sign(key, "POST", Heartbeat.Path, "", time.GetUtcNow(), requestId, body,
            [new(RequestSignature.RequestIdHeader, requestId)]);
        using var request = new HttpRequestMessage(HttpMethod.Post, target) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(RequestSignature.RequestIdHeader, requestId);
        request.Headers.Add(RequestSignature.KeyHeader, keyId);
        request.Headers.Add(RequestSignature.TimestampHeader, timestamp);
        request.Headers.Add(RequestSignature.SignatureHeader, signature);
        string? problem;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(2, market.IntervalSeconds)));
            using var response = await http.SendAsync(request, timeout.Token).ConfigureAwait(false);
            problem = response.IsSuccessStatusCode ? null
                : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false)}";
        }
        catch (Exception e) when (e is HttpRequestException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            problem = e.Message;
        }

        var key2 = target.AbsoluteUri;
        var wasFailing = _failing.GetValueOrDefault(key2);
        if (problem is not null && !wasFailing)
        {
            logger.LogWarning("Heartbeat to {Exchange} failed: {Problem}", target, problem);
        }
        else if (problem is null && wasFailing)
        {
            logger.LogWarning("Heartbeat to {Exchange} is accepted again.", target);
        }

        _failing[key2] = problem is not null;
    }
}
