namespace Entrepot.Core.Metering;

/// <summary>
/// How far a seller's token count may be from the exchange's own before it is not believed: an
/// absolute allowance (a token or two of boundary effects, a template the exchange does not know)
/// beside a fraction of the count. Beyond it the trade is flagged and settled on the exchange's count.
/// </summary>
public readonly record struct Tolerance(double Fraction, long Allowance)
{
    /// <summary>For a count with the model's own tokenizer and template: a seller that adds a tenth is
    /// caught from a dozen tokens on; an honest one differs by at most a token at the edges.</summary>
    public static readonly Tolerance Exact = new(0.02, 1);

    /// <summary>For an estimate (4 UTF-8 bytes a token, an assumed template): half the count and 16 tokens.</summary>
    public static readonly Tolerance Estimate = new(0.5, 16);

    public static Tolerance For(bool exact) => exact ? Exact : Estimate;

    public bool Beyond(long claimed, long counted) => Math.Abs(claimed - counted) > Allowance + (Fraction * Math.Max(0, counted));

    public long Percent => (long)Math.Round(Fraction * 100);
}
