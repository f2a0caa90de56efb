namespace Entrepot.Core.Border.Rules;

/// <summary>The conditions of a rule; a null condition matches anything.</summary>
public sealed record RuleMatch
{
    public JurisdictionSet? Origin { get; init; }
    public JurisdictionSet? OriginNot { get; init; }
    public JurisdictionSet? Destination { get; init; }
    public JurisdictionSet? DestinationNot { get; init; }

    /// <summary>Any of these classes present in the request.</summary>
    public IReadOnlyList<DataClass>? DataClasses { get; init; }

    /// <summary>Any of these categories present in the request.</summary>
    public DataCategory Categories { get; init; }

    /// <summary>The buyer holds any of these attestations (an account attribute such as
    /// cn-cii-operator, a critical information infrastructure operator).</summary>
    public IReadOnlyList<string>? BuyerHolds { get; init; }

    /// <summary>True: the request carries content the scanner cannot read (images, audio, files);
    /// false: it carries none.</summary>
    public bool? Unscanned { get; init; }

    /// <summary>The seller's owner is in this set (28 CFR 202.211 "covered person" by ownership).</summary>
    public JurisdictionSet? CounterpartyOwnership { get; init; }
}
