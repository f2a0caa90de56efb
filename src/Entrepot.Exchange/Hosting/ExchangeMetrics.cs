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

    public ExchangeMetrics(IMeterFactory meters, Storage.Sqlite.SqliteDeadLetters deadLetters, Settlement.SellerDisputes disputes, IServiceProvider services)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("entrepot.exchange.dead_letters", () => SafeCount(deadLetters),
            description: "Trades that could not be written and wait in the dead-letter table (GET /admin/dead-letters)");
        meter.CreateObservableCounter("entrepot.exchange.dead_lettered",
            () => (services.GetService(typeof(Settlement.TradeRecorder)) as Settlement.TradeRecorder)?.DeadLettered ?? 0,
            description: "Trades set aside in the dead-letter table since the exchange started");
        meter.CreateObservableCounter("entrepot.exchange.settled_trades", () => disputes.Measurements(),
            description: "Trades settled per seller, and per flag of the seller's receipt check (flag=\"\" for all)");
        meter.CreateObservableGauge("entrepot.exchange.subjects_held",
            () => services.GetService(typeof(Core.Border.Policy.ISubjectCounter)) is Core.Border.Policy.SubjectCounter held ? held.Count : 0,
            description: "Data subjects this node holds in memory for the bulk thresholds (a cluster keeps them in PostgreSQL)");
        meter.CreateObservableCounter("entrepot.exchange.subjects_pruned",
            () => (services.GetService(typeof(Border.SubjectPruning)) as Border.SubjectPruning)?.Pruned ?? 0,
            description: "Data subjects forgotten since start because no threshold period reaches them");
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

    private static long SafeCount(Storage.Sqlite.SqliteDeadLetters deadLetters)
    {
        try
        {
            return deadLetters.Count();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return -1; // the table could not be read just now (the scrape shows it, rather than no gauge)
        }
    }
}
