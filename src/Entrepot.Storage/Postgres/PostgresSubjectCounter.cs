using System.Buffers.Binary;
using Entrepot.Core.Border;
using Entrepot.Core.Border.Policy;
using Npgsql;
using NpgsqlTypes;

namespace Entrepot.Storage.Postgres;

/// <summary>
/// Distinct data subjects per scope (buyer, origin, seller, category) kept in PostgreSQL for every
/// exchange node: one row per subject's keyed hash with when it was last sent. Counting asks how many were
/// sent since the period began plus how many of the incoming ones are new, so traffic split across
/// nodes counts once toward a threshold, and the counts outlive any node (and Redis). While the
/// database cannot be asked the count is reported as <see cref="Unknown"/> (past every threshold:
/// rules that need an assessment above a volume refuse rather than let a trade dodge them), and
/// subjects sent meanwhile are queued and written once it is back.
/// </summary>
public sealed class PostgresSubjectCounter : ISubjectCounter, IDisposable
{
    /// <summary>The count reported while the database cannot be asked.</summary>
    public const long Unknown = long.MaxValue / 4;

    private readonly PostgresDatabase _db;
    private readonly System.Collections.Concurrent.ConcurrentQueue<(SubjectScope Scope, long At, SubjectId[] Subjects)> _pending = new();
    private readonly SemaphoreSlim _queued = new(0);
    private readonly Thread _writer;
    private readonly Lock _flushing = new();
    private volatile bool _stopping;
    private int _disposed;

    public PostgresSubjectCounter(PostgresDatabase db)
    {
        _db = db;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "entrepot subject writer" };
        _writer.Start();
    }

    /// <summary>Waits until what was recorded so far is written: milliseconds while PostgreSQL is
    /// up; while it is down the records wait, and this gives up after 30 s.</summary>
    public async Task FlushAsync(CancellationToken ct = default)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (!_pending.IsEmpty && Environment.TickCount64 < deadline)
        {
            await Task.Delay(2, ct).ConfigureAwait(false);
        }
    }

    public long CountWith(SubjectScope scope, DateTimeOffset since, IReadOnlyCollection<SubjectId> incoming)
    {
        try
        {
            using var c = _db.Open();
            // The holder's own subjects, then those from before counts were kept per buyer (holder '',
            // none on a database that started with per-buyer counts) the holder has not sent itself,
            // then the incoming ones not yet counted: each distinct subject once, from the scope index.
            using var cmd = new NpgsqlCommand("""
                SELECT (SELECT count(*) FROM subjects WHERE holder = @h AND origin = @o AND counterparty = @c AND category = @cat AND last_seen >= @from)
                     + (SELECT count(*) FROM subjects l WHERE @h <> '' AND l.holder = '' AND l.origin = @o AND l.counterparty = @c AND l.category = @cat AND l.last_seen >= @from
                        AND NOT EXISTS (SELECT 1 FROM subjects s WHERE s.holder = @h AND s.origin = @o AND s.counterparty = @c AND s.category = @cat
                                        AND s.subject = l.subject AND s.last_seen >= @from))
                     + (SELECT count(*) FROM unnest(@incoming) AS i(subject)
                        WHERE NOT EXISTS (SELECT 1 FROM subjects s WHERE s.holder IN (@h, '') AND s.origin = @o AND s.counterparty = @c AND s.category = @cat
                                          AND s.subject = i.subject AND s.last_seen >= @from))
                """, c);
            Scope(cmd, scope);
            cmd.Parameters.AddWithValue("from", since.ToUnixTimeSeconds());
            cmd.Parameters.Add(new NpgsqlParameter("incoming", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = Bytes(incoming.Distinct()) });
            return (long)cmd.ExecuteScalar()!;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return Unknown;
        }
    }

    /// <summary>Queued for the writer thread, which writes at once (within milliseconds the next
    /// request, on any node, counts them) or, while the database is down, every second until it is
    /// back. The caller never waits: it may be a socket thread, which must not block on a socket.</summary>
    public void Record(SubjectScope scope, DateTimeOffset at, IReadOnlyCollection<SubjectId> subjects)
    {
        if (subjects.Count == 0)
        {
            return;
        }

        // Sorted, so two nodes upserting overlapping subjects lock their rows in the same order.
        _pending.Enqueue((scope, at.ToUnixTimeSeconds(), subjects.Distinct().OrderBy(s => s.Value).ToArray()));
        _queued.Release();
    }

    private void WriteLoop()
    {
        while (!_stopping)
        {
            _queued.Wait(TimeSpan.FromSeconds(1));
            try
            {
                Flush();
            }
            catch (Exception e)
            {
                // Never let the writer die: what it holds stays queued for the next round.
                Console.Error.WriteLine($"entrepot: writing data-subject counts failed, {_pending.Count} records wait: {e.Message}");
            }
        }
    }

    /// <summary>Writes what is queued, oldest first; stops at the first failure (still down).</summary>
    private void Flush()
    {
        if (!_flushing.TryEnter())
        {
            return; // another thread is writing the queue; it takes this item too
        }

        try
        {
            while (_pending.TryPeek(out var item))
            {
                try
                {
                    using var c = _db.Open();
                    // A later sighting moves a subject's time forward, never back; new subjects are added.
                    using var cmd = new NpgsqlCommand("""
                        INSERT INTO subjects(holder, origin, counterparty, category, subject, last_seen)
                        SELECT @h, @o, @c, @cat, s, @at FROM unnest(@subjects) AS s
                        ON CONFLICT (holder, origin, counterparty, category, subject) DO UPDATE SET last_seen = GREATEST(subjects.last_seen, excluded.last_seen)
                        """, c);
                    Scope(cmd, item.Scope);
                    cmd.Parameters.AddWithValue("at", item.At);
                    cmd.Parameters.Add(new NpgsqlParameter("subjects", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = Bytes(item.Subjects) });
                    cmd.ExecuteNonQuery();
                }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
                {
                    return;
                }

                _pending.TryDequeue(out _);
            }
        }
        finally
        {
            _flushing.Exit();
        }
    }

    /// <summary>Deletes every subject last sent before <paramref name="before"/> (any node may; it is idempotent).</summary>
    public long Prune(DateTimeOffset before)
    {
        try
        {
            using var c = _db.Open();
            using var cmd = new NpgsqlCommand("DELETE FROM subjects WHERE last_seen < @before", c);
            cmd.Parameters.AddWithValue("before", before.ToUnixTimeSeconds());
            return cmd.ExecuteNonQuery();
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return 0; // the next round prunes what this one could not
        }
    }

    private static void Scope(NpgsqlCommand cmd, SubjectScope scope)
    {
        cmd.Parameters.AddWithValue("h", scope.Holder);
        cmd.Parameters.AddWithValue("o", scope.Origin);
        cmd.Parameters.AddWithValue("c", scope.Counterparty);
        cmd.Parameters.AddWithValue("cat", scope.Category.Name());
    }

    private static byte[][] Bytes(IEnumerable<SubjectId> subjects) => subjects.Select(s =>
    {
        var b = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b, s.Value);
        return b;
    }).ToArray();

    /// <summary>The key every node hashes subjects with: created once by the first node, then shared
    /// (a per-node key would let the same person count once per node). Kept with the counts, so
    /// neither can outlive the other.</summary>
    public static byte[] SharedKey(PostgresDatabase db)
    {
        using var c = db.Open();
        using var insert = new NpgsqlCommand("INSERT INTO cluster_secrets(name, value) VALUES ('subject-key', @v) ON CONFLICT (name) DO NOTHING", c);
        insert.Parameters.AddWithValue("v", System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        insert.ExecuteNonQuery();
        using var read = new NpgsqlCommand("SELECT value FROM cluster_secrets WHERE name = 'subject-key'", c);
        return (byte[])read.ExecuteScalar()!;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return; // the container may hold it under two service types
        }

        _stopping = true;
        _queued.Release();
        _writer.Join(TimeSpan.FromSeconds(5));
        Flush();
        _queued.Dispose();
    }
}
