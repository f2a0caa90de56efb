using Npgsql;

namespace Entrepot.Storage.Postgres;

/// <summary>Exporter nodes' latest heartbeats in PostgreSQL, one row per node; a heartbeat with a
/// lower sequence number than the one kept never replaces it.</summary>
public sealed class PostgresOfferStore(PostgresDatabase db) : IOfferStore
{
    public void Save(string providerId, long sequence, string heartbeat, DateTimeOffset receivedAt)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("""
            INSERT INTO offers(provider_id, sequence, heartbeat, received_at) VALUES (@p, @s, @h, @t)
            ON CONFLICT (provider_id) DO UPDATE SET sequence = excluded.sequence, heartbeat = excluded.heartbeat, received_at = excluded.received_at
            WHERE offers.sequence < excluded.sequence
            """, c);
        cmd.Parameters.AddWithValue("p", providerId);
        cmd.Parameters.AddWithValue("s", sequence);
        cmd.Parameters.AddWithValue("h", heartbeat);
        cmd.Parameters.AddWithValue("t", receivedAt.UtcDateTime);
        cmd.ExecuteNonQuery();
    }

    public IReadOnlyList<(string Heartbeat, DateTimeOffset ReceivedAt)> Since(DateTimeOffset since)
    {
        using var c = db.Open();
        using var cmd = new NpgsqlCommand("SELECT heartbeat, received_at FROM offers WHERE received_at >= @since", c);
        cmd.Parameters.AddWithValue("since", since.UtcDateTime);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, DateTimeOffset)>();
        while (r.Read())
        {
            list.Add((r.GetString(0), new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(1), DateTimeKind.Utc))));
        }

        return list;
    }
}
