using System.Diagnostics.Metrics;

namespace Entrepot.Exchange.Hosting;

/// <summary>The exchange's own instruments, exported at /metrics by OpenTelemetry's Prometheus exporter.</summary>
public sealed class ExchangeMetrics
{
    public const string MeterName = "Entrepot.Exchange";

    private readonly Counter<long> _requests;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _failovers;
    private readonly Histogram<double> _overhead;

    public ExchangeMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("entrepot.exchange.requests", description: "Requests by outcome");
        _tokens = meter.CreateCounter<long>("entrepot.exchange.tokens", description: "Tokens metered, by direction");
        _failovers = meter.CreateCounter<long>("entrepot.exchange.failovers", description: "Attempts that failed and moved on to the next seller");
        _overhead = meter.CreateHistogram<double>("entrepot.exchange.overhead", unit: "us", description: "The exchange's own time per request, upstream excluded");
    }

    public void Request(string outcome, string? provider) =>
        _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("provider", provider ?? "none"));

    public void Tokens(long input, long output)
    {
        _tokens.Add(input, new KeyValuePair<string, object?>("direction", "input"));
        _tokens.Add(output, new KeyValuePair<string, object?>("direction", "output"));
    }

    public void Failover(string provider, string reason) =>
        _failovers.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("reason", reason));

    public void Overhead(double microseconds) => _overhead.Record(microseconds);
}
