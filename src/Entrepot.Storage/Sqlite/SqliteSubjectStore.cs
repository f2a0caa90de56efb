using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Makes the distinct-subject counts durable: loads every (scope, subject hash, last seen) row into
/// a <see cref="SubjectCounter"/> at start and writes what it records through a background batch
/// writer. Only keyed hashes are stored, never identifiers.
/// </summary>
public sealed class SqliteSubjectStore : IAsyncDisposable
{
    private readonly SqliteDatabase _db;
    private readonly BatchWriter<(SubjectScope Scope, SubjectId Subject, long Ticks)> _writer;

    public SqliteSubjectStore(SqliteDatabase db, SubjectCounter counter)
    {
        _db = db;
        _writer = new BatchWriter<(SubjectScope, SubjectId, long)>(Write, "entrepot subject writer");
        Load(counter);
        counter.Recorded += (scope, at, subjects) =>
        {
            foreach (var s in subjects)
            {
                _writer.Enqueue((scope, s, at.UtcTicks));
            }
        };
    }

    public Task FlushAsync(CancellationToken ct = default) => _writer.FlushAsync(ct);

    private void Load(SubjectCounter counter)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT origin, counterparty, category, subject, last_seen FROM subjects";
        using var r = cmd.ExecuteReader();
        var buf = new byte[16];
        while (r.Read())
        {
            if (!DataClasses.TryParseCategory(r.GetString(2), out var cat) || r.GetBytes(3, 0, buf, 0, 16) != 16)
            {
                continue;
            }

            var id = new SubjectId(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(buf));
            counter.Load(new SubjectScope(r.GetString(0), r.GetString(1), cat), id, new DateTimeOffset(r.GetInt64(4), TimeSpan.Zero));
        }
    }

    private void Write(List<(SubjectScope Scope, SubjectId Subject, long Ticks)> batch)
    {
        using var c = _db.Open();
        using var tx = c.BeginTransaction();
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO subjects(origin, counterparty, category, subject, last_seen) VALUES ($o, $c, $cat, $s, $t)
            ON CONFLICT(origin, counterparty, category, subject) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)
            """;
        var o = cmd.Parameters.Add("$o", SqliteType.Text);
        var cp = cmd.Parameters.Add("$c", SqliteType.Text);
        var cat = cmd.Parameters.Add("$cat", SqliteType.Text);
        var s = cmd.Parameters.Add("$s", SqliteType.Blob);
        var t = cmd.Parameters.Add("$t", SqliteType.Integer);
        var bytes = new byte[16];
        foreach (var (scope, subject, ticks) in batch)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(bytes, subject.Value);
            o.Value = scope.Origin;
            cp.Value = scope.Counterparty;
            cat.Value = scope.Category.Name();
            s.Value = bytes;
            t.Value = ticks;
            cmd.ExecuteNonQuery();
        }

        tx.Commit();
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
