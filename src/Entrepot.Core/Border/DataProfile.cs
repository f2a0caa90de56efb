using Entrepot.Core.Border.Scanning;

namespace Entrepot.Core.Border;

/// <summary>
/// What a request carries, as the border rules see it: every class present (a request can hold
/// personal data and government-related data at once), the sensitive categories, and the counts
/// of what the scanner found. Sensitive personal data is personal data, so that class implies the
/// personal one.
/// </summary>
public sealed class DataProfile
{
    public static readonly DataProfile PublicData = new(1 << (int)DataClass.Public, DataCategory.None, new Dictionary<EntityType, int>());

    private readonly int _classes;

    public DataProfile(int classBits, DataCategory categories, IReadOnlyDictionary<EntityType, int> detected, int unscanned = 0, bool undetectable = false)
    {
        Unscanned = unscanned;
        Undetectable = undetectable;
        if ((classBits & (1 << (int)DataClass.SensitivePersonal)) != 0)
        {
            classBits |= 1 << (int)DataClass.Personal;
        }

        _classes = classBits == 0 ? 1 << (int)DataClass.Public : classBits;
        Categories = categories;
        Detected = detected;
    }

    public DataCategory Categories { get; }

    /// <summary>Parts of the request the scanner could not read (images, audio, files): never declared clean.</summary>
    public int Unscanned { get; }

    /// <summary>The request holds personal data the scanner cannot find, so redaction cannot remove
    /// it: declared personal or sensitive data (the header or the account's default), a declared
    /// category, or content nothing could read.</summary>
    public bool Undetectable { get; }

    /// <summary>Entities found by the scanner, by type.</summary>
    public IReadOnlyDictionary<EntityType, int> Detected { get; }

    /// <summary>The highest class present.</summary>
    public DataClass Effective
    {
        get
        {
            for (int c = (int)DataClass.ExportControlled; c > 0; c--)
            {
                if ((_classes & (1 << c)) != 0)
                {
                    return (DataClass)c;
                }
            }

            return DataClass.Public;
        }
    }

    public bool Has(DataClass c) => (_classes & (1 << (int)c)) != 0;

    public IEnumerable<DataClass> Classes => DataClasses.All.Where(Has);
}
