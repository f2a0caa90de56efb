using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Scanning;

namespace Entrepot.Core.Border;

/// <summary>What the exchange learned about a request's content: the entities in each text part,
/// the data profile and the subjects per category.</summary>
public sealed class Inspection
{
    private Inspection(IReadOnlyList<IReadOnlyList<Entity>> parts, DataProfile profile, IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> subjects)
    {
        Parts = parts;
        Profile = profile;
        Subjects = subjects;
    }

    /// <summary>Entities per text part, in the order the parts were given.</summary>
    public IReadOnlyList<IReadOnlyList<Entity>> Parts { get; }

    public DataProfile Profile { get; }

    public IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> Subjects { get; }

    public int EntityCount => Parts.Sum(p => p.Count);

    /// <summary>Scans every data field of the request (<paramref name="fields"/>; entities per field in
    /// <see cref="Parts"/>) and builds the profile; <paramref name="unscanned"/> parts could not be read.</summary>
    public static Inspection Run(IReadOnlyList<Protocol.DataField> fields, int unscanned, int declaredClasses, DataCategory declaredCategories,
        DataClass accountDefault, ReadOnlySpan<byte> subjectKey)
    {
        var parts = new List<IReadOnlyList<Entity>>(fields.Count);
        var all = new List<Entity>();
        var withText = new List<(Entity, string)>();
        foreach (var f in fields)
        {
            var t = f.Text;
            var found = Scanner.Scan(t);
            parts.Add(found);
            all.AddRange(found);
            foreach (var e in found)
            {
                withText.Add((e, t[e.Start..e.End]));
            }
        }

        var profile = DataProfiler.Build(declaredClasses, declaredCategories, accountDefault, all, unscanned);
        var subjects = withText.Count == 0 ? TradeContext.NoSubjects : DataProfiler.Subjects(subjectKey, withText, profile.Categories);
        return new Inspection(parts, profile, subjects);
    }

    /// <summary>Scans plain texts (a what-if, a test): each text one field.</summary>
    public static Inspection Run(IReadOnlyList<string> texts, int declaredClasses, DataCategory declaredCategories, DataClass accountDefault, ReadOnlySpan<byte> subjectKey) =>
        Run(texts.Select(t => new Protocol.DataField(Protocol.FieldKind.Content, -1, 0, 0, t)).ToList(), 0, declaredClasses, declaredCategories, accountDefault, subjectKey);
}
