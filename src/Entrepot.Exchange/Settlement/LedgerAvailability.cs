namespace Entrepot.Exchange.Settlement;

/// <summary>
/// Whether new trades can be billed: false while the ledger in another store (PostgreSQL) cannot be
/// written or the shared history cannot be reached. The relay reads it before admitting a request
/// (a trade that cannot be billed is not made); trades already answered wait and are billed later.
/// </summary>
public sealed class LedgerAvailability
{
    public const string DownMessage = "The exchange's ledger store (PostgreSQL) cannot be reached, so no new trade can be billed; " +
        "requests are refused until it is back. Trades already answered are kept and will be billed.";

    private volatile bool _down;

    /// <summary>Why no new trade should be admitted now, or null.</summary>
    public string? Refusal => _down ? DownMessage : null;

    public bool Down => _down;

    public void MarkDown() => _down = true;

    public void MarkUp() => _down = false;
}
