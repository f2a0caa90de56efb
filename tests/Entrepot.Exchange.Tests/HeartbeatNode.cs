using System.Net.Http.Headers;
using System.Text.Json;
using Entrepot.Core.Market;
using Entrepot.Core.Trust;

namespace Entrepot.Exchange.Tests;

/// <summary>An exporter node's side of the market for tests: signed heartbeats with a growing sequence.</summary>
internal sealed class HeartbeatNode(SigningKey key, string id)
{
    private long _sequence = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public Heartbeat Beat(int inFlight = 0, int queued = 0, double interval = 5, decimal price = 1m, List<string>? models = null, int capacity = 4, string currency = "USD") => new()
    {
        NodeId = id, PublicKey = Receipts.Base64Url(key.PublicKey), Sequence = ++_sequence, IntervalSeconds = interval,
        Models = models ?? ["m"], Price = new PriceSpec { Input = price, Output = price, Currency = currency }, Capacity = capacity, InFlight = inFlight, Queued = queued,
    };

    public async Task<HttpResponseMessage> PostAsync(HttpClient http, Heartbeat beat, SigningKey? signer = null)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(beat);
        var (kid, ts, sig) = RequestSignature.Sign(signer ?? key, "POST", Heartbeat.Path, "", DateTimeOffset.UtcNow, Heartbeat.RequestId(id), body,
            [new(RequestSignature.RequestIdHeader, Heartbeat.RequestId(id))]);
        using var request = new HttpRequestMessage(HttpMethod.Post, Heartbeat.Path.TrimStart('/')) { Content = new ByteArrayContent(body) };
        request.Headers.Add(RequestSignature.RequestIdHeader, Heartbeat.RequestId(id));
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(RequestSignature.KeyHeader, kid);
        request.Headers.Add(RequestSignature.TimestampHeader, ts);
        request.Headers.Add(RequestSignature.SignatureHeader, sig);
        return await http.SendAsync(request);
    }
}
