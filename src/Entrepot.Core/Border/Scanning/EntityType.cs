namespace Entrepot.Core.Border.Scanning;

/// <summary>Kinds of sensitive value the scanner finds.</summary>
public enum EntityType
{
    Email,
    Phone,
    PaymentCard,
    Iban,
    UsSsn,
    CnResidentId,
    Passport,
    IpAddress,
    GeoCoordinates,
    Secret,
}

/// <summary>The wire names of <see cref="EntityType"/> (snake_case, as in `entrepot scan` output).</summary>
public static class EntityTypes
{
    public static readonly IReadOnlyList<EntityType> All = Enum.GetValues<EntityType>();

    public static string Name(this EntityType type) => type switch
    {
        EntityType.Email => "email",
        EntityType.Phone => "phone",
        EntityType.PaymentCard => "payment_card",
        EntityType.Iban => "iban",
        EntityType.UsSsn => "us_ssn",
        EntityType.CnResidentId => "cn_resident_id",
        EntityType.Passport => "passport",
        EntityType.IpAddress => "ip_address",
        EntityType.GeoCoordinates => "geo_coordinates",
        EntityType.Secret => "secret",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string name, out EntityType type)
    {
        foreach (var t in All)
        {
            if (string.Equals(t.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                type = t;
                return true;
            }
        }

        type = default;
        return false;
    }
}
