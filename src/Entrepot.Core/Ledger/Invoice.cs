using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Entrepot.Core.Ledger;

/// <summary>
/// A buyer's invoice for a calendar month, built from the ledger alone: one line per ledger entry
/// that debits the buyer, with the seller's share and the exchange's fee from the same entry, and
/// totals per currency that are the sums of those postings, so they match the ledger exactly. The
/// last entry's hash ties the invoice to the chain an auditor can verify.
/// </summary>
public sealed record Invoice(string Account, string Period, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<InvoiceLine> Lines)
{
    /// <summary>The account's currency, for the converted total; null: no conversion shown.</summary>
    public string? AccountCurrency { get; init; }

    /// <summary>The rate table the converted total uses (its source and date are printed with it).</summary>
    public Market.ExchangeRates? Rates { get; init; }

    /// <summary>
    /// What the buyer owes in its own currency: each currency's exact total converted at the rate
    /// table, and the currencies that could not be converted (no rate), which are left out of it.
    /// </summary>
    public (decimal Total, IReadOnlyList<string> Unconverted)? InAccountCurrency()
    {
        if (AccountCurrency is not { } to)
        {
            return null;
        }

        decimal sum = 0;
        var missing = new List<string>();
        foreach (var t in Totals)
        {
            if (t.Currency == to)
            {
                sum += t.Total;
            }
            else if (Rates is not null && Rates.TryConvert(t.Total, t.Currency, to, out var converted))
            {
                sum += converted;
            }
            else
            {
                missing.Add(t.Currency);
            }
        }

        return (sum, missing);
    }

    /// <summary>Totals per currency: net (sellers), fees (exchange) and total (what the buyer owes).</summary>
    public IReadOnlyList<InvoiceTotal> Totals => Lines
        .GroupBy(l => l.Currency, StringComparer.Ordinal)
        .OrderBy(g => g.Key, StringComparer.Ordinal)
        .Select(g => new InvoiceTotal(g.Key, g.Count(), g.Sum(l => l.Net), g.Sum(l => l.Fee), g.Sum(l => l.Total)))
        .ToList();

    /// <summary>Parses "YYYY-MM" into the month's start and end (UTC, end exclusive).</summary>
    public static bool TryParsePeriod(string? period, out DateTimeOffset from, out DateTimeOffset to)
    {
        from = to = default;
        if (period is null || !DateTime.TryParseExact(period, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var month))
        {
            return false;
        }

        from = new DateTimeOffset(month.Year, month.Month, 1, 0, 0, 0, TimeSpan.Zero);
        to = from.AddMonths(1);
        return true;
    }

    /// <summary>The line of a ledger entry for <paramref name="account"/>, or null when the entry does not debit it.</summary>
    public static InvoiceLine? LineOf(string account, long seq, string receiptId, DateTimeOffset time, string currency, IReadOnlyList<Posting> postings,
        string hash, string? seller, string? model, long inputTokens, long outputTokens)
    {
        var buyer = "buyer:" + account;
        decimal total = 0, net = 0, fee = 0;
        bool found = false;
        foreach (var p in postings)
        {
            if (p.Account == buyer)
            {
                total -= p.Amount;
                found = true;
            }
            else if (p.Account.StartsWith("seller:", StringComparison.Ordinal))
            {
                net += p.Amount;
                seller ??= p.Account["seller:".Length..];
            }
            else if (p.Account == "exchange:fees")
            {
                fee += p.Amount;
            }
        }

        return found ? new InvoiceLine(seq, receiptId, time, seller ?? "", model ?? "", inputTokens, outputTokens, currency, net, fee, total, hash) : null;
    }

    public void WriteJson(Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("object", "invoice");
        w.WriteString("account", Account);
        w.WriteString("period", Period);
        w.WriteString("from", LedgerEntry.FormatTime(From));
        w.WriteString("to", LedgerEntry.FormatTime(To));
        w.WriteStartArray("totals");
        foreach (var t in Totals)
        {
            w.WriteStartObject();
            w.WriteString("currency", t.Currency);
            w.WriteNumber("trades", t.Trades);
            w.WriteString("net", LedgerEntry.Amount(t.Net));
            w.WriteString("fees", LedgerEntry.Amount(t.Fees));
            w.WriteString("total", LedgerEntry.Amount(t.Total));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (InAccountCurrency() is { } converted)
        {
            w.WriteStartObject("account_currency");
            w.WriteString("currency", AccountCurrency);
            w.WriteString("total", LedgerEntry.Amount(converted.Total));
            w.WriteStartArray("unconverted");
            foreach (var c in converted.Unconverted)
            {
                w.WriteStringValue(c);
            }

            w.WriteEndArray();
            if (Rates is not null && Totals.Any(t => t.Currency != AccountCurrency))
            {
                w.WriteStartObject("rates");
                w.WriteString("base", Rates.BaseCurrency);
                w.WriteString("source", Rates.Source);
                w.WriteString("as_of", Rates.AsOf);
                foreach (var t in Totals.Where(t => Rates.PerBase.ContainsKey(t.Currency)))
                {
                    w.WriteString(t.Currency, Rates.PerBase[t.Currency].ToString(CultureInfo.InvariantCulture));
                }

                if (Rates.PerBase.TryGetValue(AccountCurrency!, out var own))
                {
                    w.WriteString(AccountCurrency!, own.ToString(CultureInfo.InvariantCulture));
                }

                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        if (Lines.Count > 0)
        {
            w.WriteNumber("ledger_first_seq", Lines[0].Seq);
            w.WriteNumber("ledger_last_seq", Lines[^1].Seq);
            w.WriteString("ledger_last_hash", Lines[^1].Hash);
        }

        w.WriteStartArray("lines");
        foreach (var l in Lines)
        {
            w.WriteStartObject();
            w.WriteNumber("seq", l.Seq);
            w.WriteString("receipt_id", l.ReceiptId);
            w.WriteString("time", LedgerEntry.FormatTime(l.Time));
            w.WriteString("seller", l.Seller);
            w.WriteString("model", l.Model);
            w.WriteNumber("input_tokens", l.InputTokens);
            w.WriteNumber("output_tokens", l.OutputTokens);
            w.WriteString("currency", l.Currency);
            w.WriteString("net", LedgerEntry.Amount(l.Net));
            w.WriteString("fee", LedgerEntry.Amount(l.Fee));
            w.WriteString("total", LedgerEntry.Amount(l.Total));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>One row per trade, then one "TOTAL" row per currency; amounts as exact decimals.</summary>
    public void WriteCsv(TextWriter output)
    {
        output.WriteLine("seq,receipt_id,time,seller,model,input_tokens,output_tokens,currency,net,fee,total");
        foreach (var l in Lines)
        {
            output.WriteLine(string.Join(',', l.Seq.ToString(CultureInfo.InvariantCulture), Csv(l.ReceiptId), LedgerEntry.FormatTime(l.Time), Csv(l.Seller), Csv(l.Model),
                l.InputTokens.ToString(CultureInfo.InvariantCulture), l.OutputTokens.ToString(CultureInfo.InvariantCulture), l.Currency,
                LedgerEntry.Amount(l.Net), LedgerEntry.Amount(l.Fee), LedgerEntry.Amount(l.Total)));
        }

        foreach (var t in Totals)
        {
            output.WriteLine(string.Join(',', "TOTAL", "", "", "", "", "", "", t.Currency, LedgerEntry.Amount(t.Net), LedgerEntry.Amount(t.Fees), LedgerEntry.Amount(t.Total)));
        }

        if (InAccountCurrency() is { } converted && Totals.Any(t => t.Currency != AccountCurrency))
        {
            var note = Rates is null ? "no rate table" : $"rates {Rates.BaseCurrency} base, {Rates.Source}, {Rates.AsOf}";
            if (converted.Unconverted.Count > 0)
            {
                note += "; not converted: " + string.Join(' ', converted.Unconverted);
            }

            output.WriteLine(string.Join(',', "TOTAL_CONVERTED", "", "", "", Csv(note), "", "", AccountCurrency, "", "", LedgerEntry.Amount(converted.Total)));
        }
    }

    /// <summary>RFC 4180 quoting, and a leading quote for text a spreadsheet would run as a formula.</summary>
    private static string Csv(string s)
    {
        if (s.Length > 0 && s[0] is '=' or '+' or '-' or '@')
        {
            s = "'" + s;
        }

        return s.AsSpan().IndexOfAny("\",\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : s;
    }
}

/// <summary>One trade on an invoice: the buyer's debit (total) split into the seller's share (net) and the fee.</summary>
public sealed record InvoiceLine(long Seq, string ReceiptId, DateTimeOffset Time, string Seller, string Model, long InputTokens, long OutputTokens,
    string Currency, decimal Net, decimal Fee, decimal Total, string Hash);

public sealed record InvoiceTotal(string Currency, int Trades, decimal Net, decimal Fees, decimal Total);
