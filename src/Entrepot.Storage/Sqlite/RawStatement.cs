using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// A statement prepared once on a connection and bound by position straight through SQLite's own
/// API (SQLitePCLRaw, which Microsoft.Data.Sqlite is built on). The trade writer inserts a row per
/// trade; through <see cref="SqliteCommand"/> each insert allocated about 3.7 KB (parameter boxing,
/// UTF-8 copies, a data reader per execution) and cost about 15 µs, binding spans here costs a
/// fraction of that (docs/PERFORMANCE.md, trade writer). Used by one thread at a time.
/// <para>
/// SQLite keeps a statement's bindings across executions, so a value equal to the one already bound
/// at its position is not bound again: most of a trade row's 40 values (the buyer, the model, the
/// seller, a domestic trade's border columns, a receipt-less trade's nulls) repeat from row to row,
/// and each bind is a transcoding, a call through a safe handle and SQLite's mutex (together about 12 %
/// of the trade writer's time in a profile at 50 connections, docs/PERFORMANCE.md).
/// </para>
/// </summary>
internal sealed class RawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _stmt;
    private byte[] _utf8 = new byte[512];

    // What each position holds now, where it is known: a bind that fails or binds a span forgets it.
    private readonly Bound[] _kind;
    private readonly string?[] _text;
    private readonly long[] _number;

    private enum Bound : byte
    {
        Unknown,
        Null,
        Text,
        Int,
        Real,
    }

    public RawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle!;
        Check(raw.sqlite3_prepare_v2(_db, sql, out _stmt));
        var n = raw.sqlite3_bind_parameter_count(_stmt);
        _kind = new Bound[n];
        _text = new string?[n];
        _number = new long[n];
    }

    /// <summary>Binds parameter <paramref name="i"/> (0-based, in the order of the SQL text).</summary>
    /// <remarks>
    /// Bound as UTF-8 (the database's encoding): a UTF-16 bind made SQLite translate every value on
    /// its side, which showed in profiles. The scratch buffer is reused; SQLite copies the bytes.
    /// </remarks>
    public void Text(int i, ReadOnlySpan<char> value)
    {
        _kind[i] = Bound.Unknown;
        _text[i] = null;
        BindText(i, value);
    }

    private void BindText(int i, ReadOnlySpan<char> value)
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
            return;
        }

        if (_kind[i] == Bound.Text && string.Equals(_text[i], value, StringComparison.Ordinal))
        {
            return;
        }

        _kind[i] = Bound.Unknown;
        BindText(i, value);
        _kind[i] = Bound.Text;
        _text[i] = value;
    }

    public void Int(int i, long value)
    {
        if (_kind[i] == Bound.Int && _number[i] == value)
        {
            return;
        }

        _kind[i] = Bound.Unknown;
        Check(raw.sqlite3_bind_int64(_stmt, i + 1, value));
        Known(i, Bound.Int, value);
    }

    public void Real(int i, double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        if (_kind[i] == Bound.Real && _number[i] == bits)
        {
            return;
        }

        _kind[i] = Bound.Unknown;
        Check(raw.sqlite3_bind_double(_stmt, i + 1, value));
        Known(i, Bound.Real, bits);
    }

    public void Blob(int i, ReadOnlySpan<byte> value)
    {
        _kind[i] = Bound.Unknown;
        _text[i] = null;
        Check(raw.sqlite3_bind_blob(_stmt, i + 1, value));
    }

    public void Null(int i)
    {
        if (_kind[i] == Bound.Null)
        {
            return;
        }

        _kind[i] = Bound.Unknown;
        Check(raw.sqlite3_bind_null(_stmt, i + 1));
        Known(i, Bound.Null, 0);
    }

    private void Known(int i, Bound kind, long number)
    {
        _kind[i] = kind;
        _number[i] = number;
        _text[i] = null;
    }

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
