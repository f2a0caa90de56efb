namespace Entrepot.Core.Border.Policy;

/// <summary>Distinct data subjects per scope over time, for the bulk thresholds.</summary>
public interface ISubjectCounter
{
    /// <summary>Distinct subjects seen in <paramref name="scope"/> since <paramref name="since"/>,
    /// counting <paramref name="incoming"/> as if they were sent now.</summary>
    long CountWith(SubjectScope scope, DateTimeOffset since, IReadOnlyCollection<SubjectId> incoming);

    /// <summary>Records subjects that were sent.</summary>
    void Record(SubjectScope scope, DateTimeOffset at, IReadOnlyCollection<SubjectId> subjects);
}
