using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// A statement prepared once on a connection and bound by position straight through SQLite's own
/// API (SQLitePCLRaw, which Microsoft.Data.Sqlite is built on). The trade writer inserts a row per
/// trade; through <see cref="SqliteCommand"/> each insert allocated about 3.7 KB (parameter boxing,
/// UTF-8 copies, a data reader per execution) and cost about 15 µs, binding spans here costs a
/// fraction of that (docs/PERFORMANCE.md, trade writer). Used by one thread at a time.
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private byte[] _utf8 = new byte[512];

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
    }

    /// <summary>Binds parameter <paramref name="i"/> (0-based, in the order of the SQL text).</summary>
    /// <remarks>
    /// Bound as UTF-8 (the database's encoding): a UTF-16 bind made SQLite translate every value on
    /// its side, which showed in profiles. The scratch buffer is reused; SQLite copies the bytes.
    /// </remarks>
    public void Text(int i, ReadOnlySpan<char> value)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
        if (_utf8.Length < max)
        {
            _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        }

        int n = System.Text.Encoding.UTF8.GetBytes(value, _utf8);
        Check(raw.sqlite3_bind_text(_stmt, i + 1, _utf8.AsSpan(0, n)));
    }

    public void Text(int i, string? value)
    {
        if (value is null)
        {
            Null(i);
        }
        else
        {
            Text(i, value.AsSpan());
        }
    }

    public void Int(int i, long value) => Check(raw.sqlite3_bind_int64(_stmt, i + 1, value));

    public void Real(int i, double value) => Check(raw.sqlite3_bind_double(_stmt, i + 1, value));

    public void Blob(int i, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_stmt, i + 1, value));

    public void Null(int i) => Check(raw.sqlite3_bind_null(_stmt, i + 1));

    /// <summary>Runs the bound statement; returns the rows it changed (0 for an INSERT OR IGNORE that ignored).</summary>
    public int Execute()
    {
        int rc = raw.sqlite3_step(_stmt);
        raw.sqlite3_reset(_stmt);
        if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
        {
            throw new SqliteException("SQLite error " + rc + ": " + raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }

        return raw.sqlite3_changes(_db);
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException("SQLite error " + rc + ": " + raw.sqlite3_errmsg(_db).utf8_to_string(), rc);
        }
    }

    public void Dispose() => _stmt.Dispose();
}
