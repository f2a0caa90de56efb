using Entrepot.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Tests;

/// <summary>
/// The prepared statement the writers bind by position: a value equal to the one already bound is
/// not bound again, so every row must still read back exactly as it was bound, whatever the order
/// of repeats, changes, nulls and types.
/// </summary>
public sealed class RawStatementTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("entrepot-raw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Repeated_changed_and_null_values_read_back_as_bound_in_every_row()
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(_dir, "t.db")}");
        c.Open();
        using (var create = c.CreateCommand())
        {
            create.CommandText = "CREATE TABLE t(n INTEGER PRIMARY KEY, a, b, c)";
            create.ExecuteNonQuery();
        }

        // Each row: what goes into a, b and c, as (kind, value); kinds: s string, p span, i int, r real, 0 null, x blob.
        var rows = new (char Kind, object? Value)[][]
        {
            [('s', "alpha"), ('i', 7L), ('0', null)],
            [('s', "alpha"), ('i', 7L), ('0', null)],          // all three repeat
            [('s', "beta"), ('i', 8L), ('s', "now text")],     // all three change
            [('0', null), ('r', 8.0), ('s', "now text")],      // a to null; b to a real with an int's value
            [('s', "beta"), ('r', 8.0), ('p', "now text")],    // a back to its earlier text; c as a span
            [('s', "beta"), ('i', 8L), ('s', "now text")],     // b back to the int; c repeats after a span
            [('p', "beta"), ('0', null), ('x', new byte[] { 1, 2, 3 })],
            [('s', "beta"), ('0', null), ('0', null)],         // a after a span with the same text
            [('s', new string(['b', 'e', 't', 'a'])), ('i', 0L), ('r', -0.0)], // equal text in another string object
            [('s', ""), ('i', 0L), ('r', 0.0)],               // the empty text; 0.0 after -0.0
            [('s', "one"), ('i', 1L), ('s', "one")],
            [('p', "two"), ('i', 1L), ('p', "two")],           // a span in between ...
            [('s', "one"), ('i', 1L), ('s', "one")],           // ... so the same string is bound again
        };

        using (var insert = new RawStatement(c, "INSERT INTO t(n, a, b, c) VALUES (?1, ?2, ?3, ?4)"))
        {
            for (int n = 0; n < rows.Length; n++)
            {
                insert.Int(0, n);
                for (int col = 0; col < 3; col++)
                {
                    var (kind, value) = rows[n][col];
                    switch (kind)
                    {
                        case 's': insert.Text(col + 1, (string)value!); break;
                        case 'p': insert.Text(col + 1, ((string)value!).AsSpan()); break;
                        case 'i': insert.Int(col + 1, (long)value!); break;
                        case 'r': insert.Real(col + 1, (double)value!); break;
                        case 'x': insert.Blob(col + 1, (byte[])value!); break;
                        default: insert.Null(col + 1); break;
                    }
                }

                Assert.Equal(1, insert.Execute());
            }
        }

        using var read = c.CreateCommand();
        read.CommandText = "SELECT a, b, c, typeof(a), typeof(b), typeof(c) FROM t ORDER BY n";
        using var r = read.ExecuteReader();
        for (int n = 0; n < rows.Length; n++)
        {
            Assert.True(r.Read());
            for (int col = 0; col < 3; col++)
            {
                var (kind, value) = rows[n][col];
                var type = r.GetString(col + 3);
                var where = $"row {n}, column {col}";
                switch (kind)
                {
                    case 's' or 'p':
                        Assert.True(type == "text", where + ": " + type);
                        Assert.Equal((string)value!, r.GetString(col));
                        break;
                    case 'i':
                        Assert.True(type == "integer", where + ": " + type);
                        Assert.Equal((long)value!, r.GetInt64(col));
                        break;
                    case 'r':
                        Assert.True(type == "real", where + ": " + type);
                        Assert.Equal((double)value!, r.GetDouble(col));
                        break;
                    case 'x':
                        Assert.True(type == "blob", where + ": " + type);
                        Assert.Equal((byte[])value!, (byte[])r.GetValue(col));
                        break;
                    default:
                        Assert.True(type == "null", where + ": " + type);
                        break;
                }
            }
        }

        Assert.False(r.Read());
    }
}
