namespace Entrepot.Core.Metering;

/// <summary>How a request ended, as recorded in the usage log.</summary>
public enum Outcome
{
    Completed,

    /// <summary>Refused by the exchange before any seller was asked (bad input, no route).</summary>
    Rejected,

    /// <summary>Every candidate seller failed before the first byte.</summary>
    UpstreamFailed,

    /// <summary>The seller's stream broke after bytes had reached the buyer.</summary>
    Interrupted,

    /// <summary>The buyer went away; the upstream call was cancelled.</summary>
    ClientCancelled,

    /// <summary>The seller answered with a client error (4xx other than 429), passed on to the buyer.</summary>
    SellerRejected,

    /// <summary>No seller could lawfully receive the request (451); nothing was sent.</summary>
    Refused,

    /// <summary>Delivered by an exporter node whose receipt reached the exchange only through
    /// reconciliation: the exchange stopped before recording the trade itself.</summary>
    Reconciled,
}
