using Npgsql;

namespace Entrepot.Storage.Postgres;

/// <summary>
/// The exchange's PostgreSQL database (Npgsql), for deployments of several exchange nodes: a pooled
/// data source and the schema migrations, applied on open under an advisory lock so nodes starting
/// together migrate once.
/// </summary>
public sealed class PostgresDatabase : IDisposable
{
    /// <summary>Same tables and column text as the SQLite store, so the same verifier checks both.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE ledger (
            seq BIGINT PRIMARY KEY,
            receipt_id TEXT NOT NULL UNIQUE,
            ts TEXT NOT NULL,
            currency TEXT NOT NULL,
            postings TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE ledger_checkpoints (
            seq BIGINT PRIMARY KEY,
            hash TEXT NOT NULL,
            ts TEXT NOT NULL,
            key_id TEXT NOT NULL,
            public_key TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            home_jurisdiction TEXT NOT NULL,
            default_data_class TEXT NOT NULL DEFAULT 'public',
            attestations TEXT NOT NULL DEFAULT '',
            currency TEXT NOT NULL DEFAULT 'USD',
            created_at TEXT NOT NULL
        );
        CREATE TABLE api_keys (
            key_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES accounts(id),
            hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE providers (
            id TEXT PRIMARY KEY,
            spec TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE cluster_secrets (
            name TEXT PRIMARY KEY,
            value BYTEA NOT NULL
        );
        CREATE TABLE subjects (
            origin TEXT NOT NULL,
            counterparty TEXT NOT NULL,
            category TEXT NOT NULL,
            subject BYTEA NOT NULL,
            last_seen BIGINT NOT NULL,
            PRIMARY KEY (origin, counterparty, category, subject)
        );
        CREATE INDEX subjects_scope_seen ON subjects(origin, counterparty, category, last_seen);
        CREATE TABLE trades (
            seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
            request_id TEXT PRIMARY KEY,
            ts TIMESTAMPTZ NOT NULL,
            account_id TEXT NOT NULL,
            provider_id TEXT,
            model TEXT NOT NULL,
            origin TEXT NOT NULL,
            destination TEXT,
            input_tokens BIGINT NOT NULL,
            output_tokens BIGINT NOT NULL,
            cost NUMERIC NOT NULL,
            currency TEXT NOT NULL,
            outcome TEXT NOT NULL,
            declared BOOLEAN NOT NULL,
            data_class TEXT NOT NULL,
            categories TEXT NOT NULL,
            detected TEXT NOT NULL,
            verdict TEXT NOT NULL,
            rules TEXT NOT NULL,
            redactions INTEGER NOT NULL,
            rulebook TEXT NOT NULL
        );
        CREATE INDEX trades_ts ON trades(ts);
        CREATE INDEX trades_declared ON trades(account_id, seq) WHERE declared;
        CREATE TABLE offers (
            provider_id TEXT PRIMARY KEY,
            sequence BIGINT NOT NULL,
            heartbeat TEXT NOT NULL,
            received_at TIMESTAMPTZ NOT NULL
        );
        """,
        """
        ALTER TABLE subjects ADD COLUMN holder TEXT NOT NULL DEFAULT '';
        ALTER TABLE subjects DROP CONSTRAINT subjects_pkey;
        ALTER TABLE subjects ADD PRIMARY KEY (holder, origin, counterparty, category, subject);
        DROP INDEX subjects_scope_seen;
        CREATE INDEX subjects_scope_seen ON subjects(holder, origin, counterparty, category, last_seen);
        CREATE INDEX subjects_last_seen ON subjects(last_seen);
        """,
        """
        CREATE SEQUENCE setting_versions;
        CREATE TABLE settings (
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            value TEXT NOT NULL,
            from_file BOOLEAN NOT NULL,
            version BIGINT NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (kind, scope)
        );
        """,
    ];

    /// <summary>Advisory lock ids (any fixed numbers unique to Entrepot).</summary>
    internal const long MigrationLock = 0x456e7472_65706f01;
    internal const long LedgerLock = 0x456e7472_65706f02;

    public PostgresDatabase(string connectionString)
    {
        // Bounded waits unless the operator set others: an unreachable database must be noticed (the
        // exchange then stops admitting trades) without tying up the ledger poster for long.
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 10;
            builder.CommandTimeout = 30;
        }

        DataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        Migrate();
    }

    public NpgsqlDataSource DataSource { get; }

    public NpgsqlConnection Open() => DataSource.OpenConnection();

    /// <summary>The schema version applied.</summary>
    public int Version { get; private set; }

    private void Migrate()
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        Exec(c, tx, $"SELECT pg_advisory_xact_lock({MigrationLock})");
        Exec(c, tx, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        int version;
        using (var read = new NpgsqlCommand("SELECT COALESCE(MAX(version), 0) FROM schema_version", c, tx))
        {
            version = (int)read.ExecuteScalar()!;
        }

        for (var v = version; v < Migrations.Length; v++)
        {
            Exec(c, tx, Migrations[v]);
            Exec(c, tx, $"INSERT INTO schema_version(version) VALUES ({v + 1})");
        }

        tx.Commit();
        Version = Migrations.Length;
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => DataSource.Dispose();
}
