using System.Text;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Entrepot.Core.Trust;

namespace Entrepot.Benchmarks;

/// <summary>What a receipt costs: the exporter signing one, the exchange checking and countersigning a
/// seller's, and an exchange-only one issued from its evidence (when a buyer fetches it).</summary>
[MemoryDiagnoser]
public class ReceiptBenchmarks
{
    private SigningKey _seller = null!;
    private SigningKey _exchange = null!;
    private ReceiptEvidence _evidence = null!;
    private ReceiptEvidence _exchangeOnly = null!;

    [GlobalSetup]
    public void Setup()
    {
        _seller = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("bench-seller-").FullName);
        _exchange = SigningKey.LoadOrCreate(Directory.CreateTempSubdirectory("bench-exchange-").FullName);
        var now = DateTimeOffset.UtcNow;
        var body = Body(now);
        var signed = Receipts.SignAsSeller(body, _seller, "sg-1");
        _exchangeOnly = new ReceiptEvidence
        {
            RequestId = "req_019abcdef0123456789abcdef0123456", Buyer = "acme", SellerId = "sg-1", Model = "llama-3.3-70b",
            ClaimedInput = 120, ClaimedOutput = 380, CountedInput = 118, CountedOutput = 380, InputPrice = 0.4m, OutputPrice = 1.2m,
            Started = now.AddSeconds(-2), Finished = now, RequestSha256 = new string('a', 64), ResponseSha256 = new string('b', 64),
        };
        _evidence = _exchangeOnly with { SellerIsExporter = true, SellerReceipt = Encoding.UTF8.GetString(CanonicalJson.Serialize(signed)) };
    }

    private static JsonObject Body(DateTimeOffset now) => Receipts.Body("exporter", "req_019abcdef0123456789abcdef0123456", 1, "acme", "sg-1", "llama-3.3-70b",
        120, 380, 0.4m, 1.2m, "USD", now.AddSeconds(-2), now, new string('a', 64), new string('b', 64));

    [Benchmark]
    public JsonObject SellerSigns() => Receipts.SignAsSeller(Body(DateTimeOffset.UtcNow), _seller, "sg-1");

    [Benchmark]
    public CheckedReceipt ExchangeChecksAndCountersigns() => ReceiptCheck.Settle(_evidence, _exchange, "exchange-de");

    [Benchmark]
    public JsonObject ExchangeOnlyIssued() => ReceiptCheck.ExchangeOnly(_exchangeOnly, [], 120, 380, _exchange, "exchange-de");

    [GlobalCleanup]
    public void Cleanup()
    {
        _seller.Dispose();
        _exchange.Dispose();
    }
}
