using System.Globalization;

namespace Entrepot.Core.Border.Policy;

/// <summary>
/// An attestation or contract a party holds, with its scope: the other end's countries it is for
/// (a buyer's: the destinations; a seller's: the buyers' origins), the parties it is with (a buyer's:
/// seller ids; a seller's: buyer accounts), and its validity (from, until: the last day it holds).
/// Written as text, so it fits every place a name fits (configuration, admin API, storage, the
/// command line): <c>scc;for=SG+HK;with=sg-1;from=2026-01-01;until=2026-12-31</c>. A bare name
/// (<c>scc</c>) holds for everyone, everywhere, always.
/// </summary>
public sealed record Holding(string Name, IReadOnlyList<string>? For = null, IReadOnlyList<string>? With = null, DateOnly? From = null, DateOnly? Until = null)
{
    /// <summary>Parses the text form; null with <paramref name="error"/> naming what is wrong.</summary>
    public static Holding? Parse(string text, out string? error)
    {
        error = null;
        var parts = text.Trim().Split(';', StringSplitOptions.TrimEntries);
        var name = parts[0].ToLowerInvariant();
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            error = $"'{text}': the name must be 1-64 letters, digits, '-', '_' or '.' (such as scc)";
            return null;
        }

        List<string>? @for = null, with = null;
        DateOnly? from = null, until = null;
        foreach (var part in parts.Skip(1))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? part : part[..eq].ToLowerInvariant();
            var value = eq < 0 ? "" : part[(eq + 1)..];
            switch (key)
            {
                case "for":
                    @for = value.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToUpperInvariant()).ToList();
                    if (@for.Count == 0 || !@for.All(Accounts.Account.IsJurisdiction))
                    {
                        error = $"'{text}': for= takes ISO 3166 codes joined by '+' (for=SG+HK)";
                        return null;
                    }

                    break;
                case "with":
                    with = value.Split('+', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c => c.ToLowerInvariant()).ToList();
                    if (with.Count == 0)
                    {
                        error = $"'{text}': with= takes party ids joined by '+' (with=sg-1)";
                        return null;
                    }

                    break;
                case "from" or "until":
                    if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    {
                        error = $"'{text}': {key}= takes a date, YYYY-MM-DD";
                        return null;
                    }

                    if (key == "from")
                    {
                        from = day;
                    }
                    else
                    {
                        until = day;
                    }

                    break;
                default:
                    error = $"'{text}': unknown '{key}' (for=, with=, from=, until=)";
                    return null;
            }
        }

        if (from > until)
        {
            error = $"'{text}': from= is after until=";
            return null;
        }

        return new Holding(name, @for, with, from, until);
    }

    /// <summary>Parses every item, skipping (never failing on) one that does not parse: stored values
    /// were checked when they were written.</summary>
    public static IReadOnlyList<Holding> ParseAll(IEnumerable<string>? texts) =>
        texts is null ? [] : texts.Select(t => Parse(t, out _)).OfType<Holding>().ToList();

    /// <summary>Why this holding does not count for a trade with <paramref name="party"/> in
    /// <paramref name="place"/> on <paramref name="day"/>; null when it does.</summary>
    /// <param name="waitWorkingDays">Working days (Monday to Friday) after <see cref="From"/> before the
    /// holding counts; a holding without a from= date then never counts (the wait cannot be shown).</param>
    public string? Gap(DateOnly day, string place, string party, int waitWorkingDays = 0)
    {
        if (waitWorkingDays > 0)
        {
            if (From is not { } notice)
            {
                return $"undated (it counts {waitWorkingDays} working days after its from= date)";
            }

            var ready = AddWorkingDays(notice, waitWorkingDays);
            if (day < ready)
            {
                return $"waiting {waitWorkingDays} working days from {notice:yyyy-MM-dd}, until {ready:yyyy-MM-dd}";
            }
        }

        if (From is { } f && day < f)
        {
            return $"valid only from {f:yyyy-MM-dd}";
        }

        if (Until is { } u && day > u)
        {
            return $"expired {u:yyyy-MM-dd}";
        }

        if (For is { } places && !places.Any(p => p == place || (p.Length == 2 && place.StartsWith(p + "-", StringComparison.Ordinal))))
        {
            return $"for {string.Join("+", places)} only";
        }

        if (With is { } parties && !parties.Contains(party.ToLowerInvariant()))
        {
            return $"with {string.Join("+", parties)} only";
        }

        return null;
    }

    /// <summary>The day <paramref name="n"/> working days (Monday to Friday) after <paramref name="from"/>.
    /// Public holidays are not known and count as working days, which may end a wait a day or two early
    /// around holidays.</summary>
    public static DateOnly AddWorkingDays(DateOnly from, int n)
    {
        var day = from;
        while (n > 0)
        {
            day = day.AddDays(1);
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                n--;
            }
        }

        return day;
    }

    public override string ToString() =>
        Name + (For is null ? "" : ";for=" + string.Join('+', For)) + (With is null ? "" : ";with=" + string.Join('+', With))
        + (From is null ? "" : $";from={From:yyyy-MM-dd}") + (Until is null ? "" : $";until={Until:yyyy-MM-dd}");
}
