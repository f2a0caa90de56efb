using System.Data.Common;
using Entrepot.Core.Accounts;
using Entrepot.Core.Border;

namespace Entrepot.Storage;

/// <summary>Accounts and keys as both stores read them back (same columns in SQLite and PostgreSQL).</summary>
internal static class AccountRows
{
    /// <summary>id, name, home_jurisdiction, default_data_class, attestations, currency from column <paramref name="at"/> on.</summary>
    public static Account Read(DbDataReader r, int at)
    {
        var dc = DataClasses.TryParseClass(r.GetString(at + 3), out var parsed) ? parsed : DataClass.Public;
        var att = r.GetString(at + 4);
        return new Account(r.GetString(at), r.GetString(at + 1), r.GetString(at + 2), dc, att.Length == 0 ? [] : att.Split(','), r.GetString(at + 5));
    }

    /// <summary>Rows of key_id, hash, then the account columns: the live keys as a <see cref="KeyRing"/>.</summary>
    public static KeyRing KeyRing(DbDataReader r)
    {
        var entries = new List<ApiKeyEntry>();
        while (r.Read())
        {
            if (ApiKeyHash.TryParse(r.GetString(1), out var hash))
            {
                entries.Add(new ApiKeyEntry(r.GetString(0), hash, Read(r, 2)));
            }
        }

        return new KeyRing(entries);
    }
}
