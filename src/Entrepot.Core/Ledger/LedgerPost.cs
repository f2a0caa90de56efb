namespace Entrepot.Core.Ledger;

/// <summary>
/// What one settled trade adds to the ledger: its receipt (request) id, its currency and its
/// double-entry postings. The ledger store chains it (sequence and hashes) and stamps it with the
/// time it appends it: a ledger entry's time is when it was posted (as in any book of accounts), so
/// a checkpoint's delay after an entry can be judged, whatever the trade's own time.
/// </summary>
public readonly record struct LedgerPost(string ReceiptId, string Currency, IReadOnlyList<Posting> Postings)
{
    /// <summary>The post of a trade: the buyer pays cost plus the exchange's fee, the seller gets the cost.</summary>
    public static LedgerPost ForTrade(string receiptId, string currency, string buyer, string seller, decimal cost, decimal feePercent) =>
        new(receiptId, currency, LedgerEntry.ForTrade(buyer, seller, cost, feePercent));

    /// <summary>What the buyer is debited (cost and fee), the amount its budget is charged.</summary>
    public decimal BuyerDebit
    {
        get
        {
            foreach (var p in Postings)
            {
                if (p.Account.StartsWith("buyer:", StringComparison.Ordinal))
                {
                    return -p.Amount;
                }
            }

            return 0m;
        }
    }
}
