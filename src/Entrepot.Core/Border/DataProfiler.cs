using Entrepot.Core.Border.Policy;
using Entrepot.Core.Border.Scanning;

namespace Entrepot.Core.Border;

/// <summary>
/// Turns a declaration (the Entrepot-Data-Class header or an account default) and the scanner's
/// findings into a <see cref="DataProfile"/> and the data subjects per category. What a detector
/// finds implies a class: identifiers make data personal, card and bank numbers are financial and
/// coordinates precise geolocation (both sensitive), a credential is internal.
/// </summary>
public static class DataProfiler
{
    /// <summary>Parses "government-related", "sensitive-personal:health,genomic", "personal, health".
    /// A bare category means sensitive personal data of that category.</summary>
    public static bool TryParseDeclared(string? header, out int classBits, out DataCategory categories, out string? error)
    {
        classBits = 0;
        categories = DataCategory.None;
        error = null;
        if (string.IsNullOrWhiteSpace(header))
        {
            return true;
        }

        foreach (var raw in header.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var part = raw;
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                if (!DataClasses.TryParseCategory(part[(colon + 1)..].Trim(), out var c1))
                {
                    error = $"unknown category '{part[(colon + 1)..].Trim()}' (one of {string.Join(", ", DataClasses.Categories.Select(c => c.Name()))})";
                    return false;
                }

                categories |= c1;
                part = part[..colon].Trim();
            }

            if (DataClasses.TryParseClass(part, out var cls))
            {
                classBits |= 1 << (int)cls;
            }
            else if (DataClasses.TryParseCategory(part, out var cat))
            {
                categories |= cat;
                classBits |= 1 << (int)DataClass.SensitivePersonal;
            }
            else
            {
                error = $"unknown data class '{part}' (one of {string.Join(", ", DataClasses.All.Select(c => c.Name()))}, or a category: {string.Join(", ", DataClasses.Categories.Select(c => c.Name()))})";
                return false;
            }
        }

        if (categories != DataCategory.None && (classBits & (1 << (int)DataClass.SensitivePersonal)) == 0 && (categories & ~DataCategory.PersonalIdentifiers) != 0)
        {
            classBits |= 1 << (int)DataClass.SensitivePersonal;
        }

        return true;
    }

    public static (DataClass Class, DataCategory Category) Implied(EntityType type) => type switch
    {
        EntityType.PaymentCard or EntityType.Iban => (DataClass.SensitivePersonal, DataCategory.Financial | DataCategory.PersonalIdentifiers),
        EntityType.GeoCoordinates => (DataClass.SensitivePersonal, DataCategory.PreciseGeolocation),
        EntityType.Secret => (DataClass.Internal, DataCategory.None),
        _ => (DataClass.Personal, DataCategory.PersonalIdentifiers),
    };

    /// <param name="unscanned">Parts the scanner could not read: without a declared class they are
    /// taken to be personal data, since nothing shows they are not.</param>
    public static DataProfile Build(int declaredBits, DataCategory declaredCategories, DataClass accountDefault, IReadOnlyList<Entity> found, int unscanned = 0)
    {
        int bits = declaredBits | (1 << (int)accountDefault);
        if (unscanned > 0 && declaredBits == 0 && declaredCategories == DataCategory.None)
        {
            bits |= 1 << (int)DataClass.Personal;
        }

        const int personal = (1 << (int)DataClass.Personal) | (1 << (int)DataClass.SensitivePersonal);
        var undetectable = (bits & personal) != 0 && ((declaredBits & personal) != 0 || (1 << (int)accountDefault & personal) != 0
            || declaredCategories != DataCategory.None || unscanned > 0);

        var categories = declaredCategories;
        var counts = new Dictionary<EntityType, int>();
        foreach (var e in found)
        {
            var (cls, cat) = Implied(e.Type);
            bits |= 1 << (int)cls;
            categories |= cat;
            counts[e.Type] = counts.GetValueOrDefault(e.Type) + 1;
        }

        return new DataProfile(bits, categories, counts, unscanned, undetectable);
    }

    /// <summary>The data subjects per category: the people the request's identifiers name. Data
    /// declared to be about health (or another category) is about the people identified in it;
    /// coordinates count as one subject (device) each.</summary>
    public static IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> Subjects(
        ReadOnlySpan<byte> key, IReadOnlyList<(Entity Entity, string Text)> found, DataCategory categories)
    {
        var identifiers = new HashSet<SubjectId>();
        var financial = new HashSet<SubjectId>();
        var places = new HashSet<SubjectId>();
        foreach (var (e, text) in found)
        {
            if (e.Type == EntityType.Secret)
            {
                continue;
            }

            var id = SubjectId.Of(key, e.Type, text);
            if (e.Type == EntityType.GeoCoordinates)
            {
                places.Add(id);
                continue;
            }

            identifiers.Add(id);
            if (e.Type is EntityType.PaymentCard or EntityType.Iban)
            {
                financial.Add(id);
            }
        }

        var result = new Dictionary<DataCategory, IReadOnlyCollection<SubjectId>>();
        if (identifiers.Count > 0)
        {
            result[DataCategory.PersonalIdentifiers] = identifiers;
        }

        foreach (var c in DataClasses.Categories)
        {
            if (c == DataCategory.PersonalIdentifiers || (categories & c) == 0)
            {
                continue;
            }

            var set = new HashSet<SubjectId>(identifiers);
            if (c == DataCategory.Financial)
            {
                set.UnionWith(financial);
            }

            if (c == DataCategory.PreciseGeolocation)
            {
                set = places.Count > 0 ? places : set;
            }

            if (set.Count > 0)
            {
                result[c] = set;
            }
        }

        return result;
    }

    /// <summary>Declared people cannot be told apart from anyone counted before, so they are that many
    /// new subjects (random ids) in every category the request holds, besides those the scanner named.</summary>
    public static IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> WithDeclared(
        IReadOnlyDictionary<DataCategory, IReadOnlyCollection<SubjectId>> found, DataCategory categories, long n)
    {
        var declared = new SubjectId[n];
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < declared.Length; i++)
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
            declared[i] = new SubjectId(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes));
        }

        var result = new Dictionary<DataCategory, IReadOnlyCollection<SubjectId>>();
        foreach (var c in DataClasses.Categories)
        {
            if (c != DataCategory.PersonalIdentifiers && (categories & c) == 0)
            {
                continue;
            }

            var set = new HashSet<SubjectId>(declared);
            if (found.TryGetValue(c, out var named))
            {
                set.UnionWith(named);
            }

            result[c] = set;
        }

        return result;
    }
}
