using Entrepot.Core.Border;

namespace Entrepot.Core.Accounts;

/// <summary>A buyer on the exchange. <see cref="HomeJurisdiction"/> is where its data comes from
/// (the origin in border rules: a country, or a subdivision such as UA-43);
/// <see cref="DefaultDataClass"/> is the least its requests are treated as; <see cref="Attestations"/>
/// are the buyer's own statements that rules may require (e.g. ru-localised).</summary>
public sealed record Account(
    string Id,
    string Name,
    string HomeJurisdiction = "DE",
    DataClass DefaultDataClass = DataClass.Public,
    IReadOnlyList<string>? Attestations = null,
    string Currency = "USD")
{
    public static bool IsJurisdiction(string? code) =>
        code is { Length: 2 or >= 4 and <= 6 } &&
        char.IsAsciiLetter(code[0]) && char.IsAsciiLetter(code[1]) &&
        (code.Length == 2 || (code[2] == '-' && code[3..].All(char.IsAsciiLetterOrDigit)));
}
