namespace Entrepot.Core.Border.Policy;

/// <summary>Distinct data subjects per scope over time, for the bulk thresholds. Every subject is
/// counted (a cap would undercount real bulk data); what no period can reach any more is pruned.</summary>
public interface ISubjectCounter
{
    /// <summary>Distinct subjects seen in <paramref name="scope"/> since <paramref name="since"/>,
    /// counting <paramref name="incoming"/> as if they were sent now. Counts of the scope's
    /// <see cref="SubjectScope.Legacy"/> holder are included.</summary>
    long CountWith(SubjectScope scope, DateTimeOffset since, IReadOnlyCollection<SubjectId> incoming);

    /// <summary>Records subjects that were sent.</summary>
    void Record(SubjectScope scope, DateTimeOffset at, IReadOnlyCollection<SubjectId> subjects);

    /// <summary>Forgets every subject last sent before <paramref name="before"/>; returns how many.</summary>
    long Prune(DateTimeOffset before);
}
