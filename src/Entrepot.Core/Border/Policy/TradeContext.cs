namespace Entrepot.Core.Border.Policy;

/// <summary>What is known about a trade before any seller is chosen: where the data comes from,
/// what it is, when, who its subjects are, what the buyer has attested (for example that Russian
/// citizens' data was first recorded in Russia), and who bears the legal duty its subject counts
/// are kept for (<see cref="Holder"/>: the buyer account; empty when nobody does, as in a what-if),
/// and how many people the buyer says the data is about (<see cref="DeclaredSubjects"/>, the
/// Entrepot-Data-Subjects header; they are among <see cref="Subjects"/> as that many new ones).</summary>
public sealed record TradeContext(
    string Origin,
    DataProfile Profile,
    DateTimeOffset Now,
    IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> Subjects,
    IReadOnlyCollection<string>? BuyerAttestations = null,
    string Holder = "",
    long? DeclaredSubjects = null)
{
    // Parsed once per list: a copy made with 'with' and other attestations parses its own.
    private (IReadOnlyCollection<string>? Source, IReadOnlyList<Holding>? Parsed) _buyerHoldings;

    /// <summary>The buyer's attestations with their scope and validity.</summary>
    public IReadOnlyList<Holding> BuyerHoldings
    {
        get
        {
            var cached = _buyerHoldings;
            if (cached.Parsed is null || !ReferenceEquals(cached.Source, BuyerAttestations))
            {
                cached = (BuyerAttestations, Holding.ParseAll(BuyerAttestations));
                _buyerHoldings = cached;
            }

            return cached.Parsed!;
        }
    }

    public static readonly IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> NoSubjects =
        new Dictionary<DataCategory, IReadOnlyCollection<SubjectId>>();

    /// <summary>The subjects of category <paramref name="c"/>; for <see cref="DataCategory.Sensitive"/>,
    /// those of every sensitive category together.</summary>
    public IReadOnlyCollection<SubjectId> SubjectsOf(DataCategory c)
    {
        if (c != DataCategory.Sensitive)
        {
            return Subjects.TryGetValue(c, out var s) ? s : [];
        }

        HashSet<SubjectId>? all = null;
        foreach (var (category, ids) in Subjects)
        {
            if ((category & DataCategory.Sensitive) != 0 && category != DataCategory.Sensitive)
            {
                (all ??= []).UnionWith(ids);
            }
        }

        return all ?? (IReadOnlyCollection<SubjectId>)[];
    }
}
