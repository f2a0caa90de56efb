namespace Entrepot.Core.Border;

/// <summary>How sensitive the data in a request is, in rising order; a request's effective class
/// is the highest of what it declares, its account's default and what the scanner finds.</summary>
public enum DataClass
{
    Public = 0,
    Internal = 1,
    Personal = 2,
    SensitivePersonal = 3,
    ImportantData = 4,
    GovernmentRelated = 5,
    ExportControlled = 6,
}

/// <summary>Categories of sensitive personal data that the regimes treat separately (thresholds in
/// 28 CFR 202, "sensitive personal information" in PIPL), plus the covered identifiers.</summary>
[Flags]
public enum DataCategory
{
    None = 0,
    Health = 1,
    Financial = 2,
    Biometric = 4,
    PreciseGeolocation = 8,
    Genomic = 16,
    PersonalIdentifiers = 32,

    /// <summary>Human 'omic data other than genomic: epigenomic, proteomic, transcriptomic (28 CFR 202.224).</summary>
    Omic = 64,

    /// <summary>Not a category of its own: every sensitive category counted together, for a law that
    /// sums them (China's 10,000 people of sensitive personal information a year). A threshold's
    /// counting key, never declared.</summary>
    Sensitive = Health | Financial | Biometric | PreciseGeolocation | Genomic | Omic,
}

public static class DataClasses
{
    public static readonly IReadOnlyList<DataClass> All = Enum.GetValues<DataClass>();
    public static readonly IReadOnlyList<DataCategory> Categories =
        [DataCategory.Health, DataCategory.Financial, DataCategory.Biometric, DataCategory.PreciseGeolocation, DataCategory.Genomic, DataCategory.Omic, DataCategory.PersonalIdentifiers];

    public static string Name(this DataClass c) => c switch
    {
        DataClass.Public => "public",
        DataClass.Internal => "internal",
        DataClass.Personal => "personal",
        DataClass.SensitivePersonal => "sensitive-personal",
        DataClass.ImportantData => "important-data",
        DataClass.GovernmentRelated => "government-related",
        DataClass.ExportControlled => "export-controlled",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public static string Name(this DataCategory c) => c switch
    {
        DataCategory.Health => "health",
        DataCategory.Financial => "financial",
        DataCategory.Biometric => "biometric",
        DataCategory.PreciseGeolocation => "precise-geolocation",
        DataCategory.Genomic => "genomic",
        DataCategory.Omic => "omic",
        DataCategory.Sensitive => "sensitive",
        DataCategory.PersonalIdentifiers => "personal-identifiers",
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public static bool TryParseClass(ReadOnlySpan<char> name, out DataClass c)
    {
        foreach (var x in All)
        {
            if (name.Equals(x.Name(), StringComparison.OrdinalIgnoreCase))
            {
                c = x;
                return true;
            }
        }

        c = default;
        return false;
    }

    public static bool TryParseCategory(ReadOnlySpan<char> name, out DataCategory c)
    {
        foreach (var x in Categories)
        {
            if (name.Equals(x.Name(), StringComparison.OrdinalIgnoreCase))
            {
                c = x;
                return true;
            }
        }

        c = default;
        return false;
    }

    /// <summary>A category a threshold may count: one of <see cref="Categories"/>, or "sensitive" (all of them summed).</summary>
    public static bool TryParseCounted(ReadOnlySpan<char> name, out DataCategory c)
    {
        if (name.Equals("sensitive", StringComparison.OrdinalIgnoreCase))
        {
            c = DataCategory.Sensitive;
            return true;
        }

        return TryParseCategory(name, out c);
    }

    public static IEnumerable<string> Names(this DataCategory set) =>
        Categories.Where(c => (set & c) != 0).Select(c => c.Name());
}
