using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// One open connection and one prepared INSERT, kept for the life of a background writer (used only
/// from its thread): preparing the statement and opening the connection per batch cost more than
/// the rows themselves at the small batches light load makes.
/// </summary>
internal sealed class PreparedInsert(SqliteDatabase db, string sql) : IDisposable
{
    private SqliteConnection? _connection;
    private RawStatement? _statement;

    /// <summary>Called when the connection is dropped after a failure, for statements prepared on it.</summary>
    public Action? Failed { get; set; }

    /// <summary>Runs <paramref name="bind"/> and the insert for each item, in one transaction;
    /// <paramref name="alsoInTransaction"/> writes more in the same transaction and returns what to do
    /// once it committed.</summary>
    public void Write<T>(List<T> batch, Action<T, RawStatement> bind, Func<SqliteConnection, SqliteTransaction, Action?>? alsoInTransaction = null)
    {
        if (_connection is null)
        {
            _connection = db.Open();
            _statement = new RawStatement(_connection, sql);
        }

        try
        {
            using var tx = _connection.BeginTransaction();
            foreach (var item in batch)
            {
                bind(item, _statement!);
                _statement!.Execute();
                WriterPace.Between();
            }

            var committed = alsoInTransaction?.Invoke(_connection, tx);
            tx.Commit();
            committed?.Invoke();
        }
        catch (SqliteException)
        {
            // Start from a fresh connection on the retry.
            Failed?.Invoke();
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _statement?.Dispose();
        _connection?.Dispose();
        _statement = null;
        _connection = null;
    }
}
