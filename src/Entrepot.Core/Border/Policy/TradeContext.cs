namespace Entrepot.Core.Border.Policy;

/// <summary>What is known about a trade before any seller is chosen: where the data comes from,
/// what it is, when, who its subjects are, and what the buyer has attested (for example that
/// Russian citizens' data was first recorded in Russia).</summary>
public sealed record TradeContext(
    string Origin,
    DataProfile Profile,
    DateTimeOffset Now,
    IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> Subjects,
    IReadOnlyCollection<string>? BuyerAttestations = null)
{
    public static readonly IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> NoSubjects =
        new Dictionary<DataCategory, IReadOnlyCollection<SubjectId>>();

    public IReadOnlyCollection<SubjectId> SubjectsOf(DataCategory c) =>
        Subjects.TryGetValue(c, out var s) ? s : [];
}
