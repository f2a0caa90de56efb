using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// Makes the distinct-subject counts durable: loads every (scope, subject hash, last seen) row into
/// a <see cref="SubjectCounter"/> at start, writes what it records through a background batch
/// writer and deletes what it prunes. Only keyed hashes are stored, never identifiers.
/// </summary>
public sealed class SqliteSubjectStore : IAsyncDisposable
{
    /// <summary>
    /// How long the writer gathers sightings before a commit. The counter in memory is what decides;
    /// these rows only carry it over a restart, so a crash loses at most this much of its latest
    /// sightings. A buyer's requests name the same subjects over and over, and each commit is one
    /// upsert per subject: at the batch writer's 5 ms a busy exchange committed 200 times a second
    /// for a handful of rows, 3.8 µs of CPU per request; at 50 ms, 0.6 µs (docs/PERFORMANCE.md).
    /// </summary>
    public static readonly TimeSpan Gather = TimeSpan.FromMilliseconds(50);

    private readonly SqliteDatabase _db;
    private readonly BatchWriter<(SubjectScope Scope, SubjectId Subject, long Ticks)> _writer;
    private readonly PreparedInsert _upsert;

    public SqliteSubjectStore(SqliteDatabase db, SubjectCounter counter)
    {
        _db = db;
        _upsert = new PreparedInsert(db, """
            INSERT INTO subjects(holder, origin, counterparty, category, subject, last_seen) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT(holder, origin, counterparty, category, subject) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)
            """);
        _writer = new BatchWriter<(SubjectScope, SubjectId, long)>(Write, "entrepot subject writer", linger: Gather);
        Load(counter);
        counter.Recorded += (scope, at, subjects) =>
        {
            foreach (var s in subjects)
            {
                _writer.Enqueue((scope, s, at.UtcTicks));
            }
        };
        counter.Pruned += before => Prune(before);
    }

    /// <summary>Deletes the rows last seen before <paramref name="before"/> (what the counter forgot).</summary>
    public long Prune(DateTimeOffset before)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM subjects WHERE last_seen < $before";
        cmd.Parameters.AddWithValue("$before", before.UtcTicks);
        return cmd.ExecuteNonQuery();
    }

    public Task FlushAsync(CancellationToken ct = default) => _writer.FlushAsync(ct);

    private void Load(SubjectCounter counter)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT holder, origin, counterparty, category, subject, last_seen FROM subjects";
        using var r = cmd.ExecuteReader();
        var buf = new byte[16];
        while (r.Read())
        {
            if (!DataClasses.TryParseCounted(r.GetString(3), out var cat) || r.GetBytes(4, 0, buf, 0, 16) != 16)
            {
                continue;
            }

            var id = new SubjectId(System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(buf));
            counter.Load(new SubjectScope(r.GetString(0), r.GetString(1), r.GetString(2), cat), id, new DateTimeOffset(r.GetInt64(5), TimeSpan.Zero));
        }
    }

    private void Write(List<(SubjectScope Scope, SubjectId Subject, long Ticks)> batch)
    {
        // A buyer's requests name the same subjects over and over: only the latest sighting of each
        // in a batch is written (one upsert per subject, not one per request).
        var latest = new Dictionary<(SubjectScope, SubjectId), long>(batch.Count);
        foreach (var (scope, subject, ticks) in batch)
        {
            if (!latest.TryGetValue((scope, subject), out var seen) || seen < ticks)
            {
                latest[(scope, subject)] = ticks;
            }
        }

        var rows = new List<KeyValuePair<(SubjectScope Scope, SubjectId Subject), long>>(latest);
        var id = new byte[16];
        _upsert.Write(rows, (row, p) =>
        {
            var (scope, subject) = row.Key;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt128BigEndian(id, subject.Value);
            p.Text(0, scope.Holder);
            p.Text(1, scope.Origin);
            p.Text(2, scope.Counterparty);
            p.Text(3, scope.Category.Name());
            p.Blob(4, id);
            p.Int(5, row.Value);
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _upsert.Dispose();
    }
}
