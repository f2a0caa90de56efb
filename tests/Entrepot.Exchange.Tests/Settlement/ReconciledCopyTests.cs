using Entrepot.Core.Metering;
using Entrepot.Core.Trust;

namespace Entrepot.Exchange.Tests.Settlement;

/// <summary>
/// A trade rebuilt from a seller's receipt log (reconciliation) is posted only when the exchange has
/// not recorded it itself: neither committed nor queued with the copy.
/// </summary>
public sealed class ReconciledCopyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static UsageRecord Trade(string id, bool reconciled) => new()
    {
        RequestId = id,
        Timestamp = T0,
        AccountId = "buyer",
        KeyId = reconciled ? null : "key-1",
        Model = "stories260k",
        ProviderId = "de-frankfurt",
        OriginJurisdiction = "DE",
        DestinationJurisdiction = "DE",
        InputTokens = 4,
        OutputTokens = 8,
        Currency = "USD",
        Outcome = reconciled ? Outcome.Reconciled : Outcome.Completed,
        StatusCode = 200,
        Attempts = 1,
        Receipt = new ReceiptEvidence
        {
            RequestId = id,
            Buyer = "buyer",
            SellerId = "de-frankfurt",
            Model = "stories260k",
            ClaimedInput = 4,
            ClaimedOutput = 8,
            CountedInput = 4,
            CountedOutput = 8,
            InputPrice = 1.5m,
            OutputPrice = 2.5m,
            Started = T0,
            Finished = T0,
            RequestSha256 = new string('a', 64),
            ResponseSha256 = new string('b', 64),
            Reconciled = reconciled,
        },
    };

    [Fact]
    public async Task A_reconciled_copy_is_dropped_when_the_exchanges_own_record_is_queued_with_it_or_already_committed()
    {
        await using var f = new RecorderFixture();
        var log = f.Recorder;

        // The exchange's own record and the seller-log copy of it, queued back to back: one batch.
        await log.RecordAsync(Trade("req_queued", reconciled: false));
        await log.RecordAsync(Trade("req_queued", reconciled: true));

        // A copy arriving after the exchange's record was committed: the log and the ledger have it.
        await log.RecordAsync(Trade("req_committed", reconciled: false));
        await log.FlushAsync();
        await log.RecordAsync(Trade("req_committed", reconciled: true));

        // A trade the exchange never recorded (it was killed first): the copy is posted, once.
        await log.RecordAsync(Trade("req_lost", reconciled: true));
        await log.RecordAsync(Trade("req_lost", reconciled: true));

        // A request the exchange recorded as failed (every seller failed): a seller's receipt for it is
        // an attempt that failed, never billed from its log.
        await log.RecordAsync(Trade("req_failed", reconciled: false) with { Outcome = Outcome.UpstreamFailed, Receipt = null, ProviderId = null });
        await log.FlushAsync();
        await log.RecordAsync(Trade("req_failed", reconciled: true));
        await log.FlushAsync();

        Assert.Equal(1, f.Count("SELECT COUNT(*) FROM usage WHERE request_id = 'req_queued'"));
        Assert.Equal(0, f.Count("SELECT COUNT(*) FROM usage WHERE request_id = 'req_queued' AND outcome = 'reconciled'"));
        Assert.Equal(1, f.Count("SELECT COUNT(*) FROM usage WHERE request_id = 'req_committed'"));
        Assert.Equal(1, f.Count("SELECT COUNT(*) FROM usage WHERE request_id = 'req_lost' AND outcome = 'reconciled'"));
        Assert.Equal(1, f.Count("SELECT COUNT(*) FROM usage WHERE request_id = 'req_failed'"));
        Assert.Equal(0, f.Count("SELECT COUNT(*) FROM ledger WHERE receipt_id = 'req_failed'"));
        Assert.Equal(3, f.Count("SELECT COUNT(*) FROM ledger"));
    }
}
