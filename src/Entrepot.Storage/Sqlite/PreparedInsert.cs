using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// One open connection and one prepared INSERT, kept for the life of a background writer (used only
/// from its thread): preparing the statement and opening the connection per batch cost more than
/// the rows themselves at the small batches light load makes.
/// </summary>
internal sealed class PreparedInsert(SqliteDatabase db, string sql, params string[] parameters) : IDisposable
{
    private SqliteConnection? _connection;
    private SqliteCommand? _command;
    private SqliteParameter[] _parameters = [];

    /// <summary>Called when the connection is dropped after a failure, for statements prepared on it.</summary>
    public Action? Failed { get; set; }

    /// <summary>Runs <paramref name="bind"/> and the insert for each item, in one transaction;
    /// <paramref name="alsoInTransaction"/> writes more in the same transaction and returns what to do
    /// once it committed.</summary>
    public void Write<T>(List<T> batch, Action<T, SqliteParameter[]> bind, Func<SqliteConnection, SqliteTransaction, Action?>? alsoInTransaction = null)
    {
        if (_connection is null)
        {
            _connection = db.Open();
            _command = _connection.CreateCommand();
            _command.CommandText = sql;
            _parameters = parameters.Select(n => _command.Parameters.Add(n, SqliteType.Text)).ToArray();
            _command.Prepare();
        }

        try
        {
            using var tx = _connection.BeginTransaction();
            _command!.Transaction = tx;
            foreach (var item in batch)
            {
                bind(item, _parameters);
                _command.ExecuteNonQuery();
            }

            var committed = alsoInTransaction?.Invoke(_connection, tx);
            tx.Commit();
            committed?.Invoke();
        }
        catch (SqliteException)
        {
            Failed?.Invoke();
            // Start from a fresh connection on the retry.
            Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _command?.Dispose();
        _connection?.Dispose();
        _command = null;
        _connection = null;
    }
}
