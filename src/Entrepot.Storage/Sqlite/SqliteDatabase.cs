using Microsoft.Data.Sqlite;

namespace Entrepot.Storage.Sqlite;

/// <summary>
/// The exchange's embedded database: one SQLite file in the data directory, in WAL mode so the
/// background writer never blocks readers. Applies the schema migrations on open.
/// </summary>
public sealed class SqliteDatabase
{
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE accounts (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            home_jurisdiction TEXT NOT NULL,
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
        CREATE TABLE usage (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            account_id TEXT NOT NULL,
            key_id TEXT,
            model TEXT NOT NULL,
            provider_id TEXT,
            origin TEXT NOT NULL,
            destination TEXT,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            usage_estimated INTEGER NOT NULL,
            cost TEXT NOT NULL,
            currency TEXT NOT NULL,
            outcome TEXT NOT NULL,
            status INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            stream INTEGER NOT NULL,
            latency_ms REAL NOT NULL,
            overhead_us REAL NOT NULL
        );
        CREATE INDEX usage_request ON usage(request_id);
        CREATE INDEX usage_account_ts ON usage(account_id, ts);
        """,
        """
        ALTER TABLE accounts ADD COLUMN default_data_class TEXT NOT NULL DEFAULT 'public';
        ALTER TABLE accounts ADD COLUMN attestations TEXT NOT NULL DEFAULT '';
        CREATE TABLE declarations (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            account_id TEXT NOT NULL,
            origin TEXT NOT NULL,
            destination TEXT,
            provider_id TEXT,
            model TEXT NOT NULL,
            data_class TEXT NOT NULL,
            categories TEXT NOT NULL,
            detected TEXT NOT NULL,
            verdict TEXT NOT NULL,
            rules TEXT NOT NULL,
            redactions INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            value TEXT NOT NULL,
            currency TEXT NOT NULL,
            rulebook TEXT NOT NULL
        );
        CREATE INDEX declarations_account_seq ON declarations(account_id, seq);
        CREATE INDEX declarations_pair_ts ON declarations(origin, destination, ts);
        CREATE TABLE subjects (
            origin TEXT NOT NULL,
            counterparty TEXT NOT NULL,
            category TEXT NOT NULL,
            subject BLOB NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (origin, counterparty, category, subject)
        ) WITHOUT ROWID;
        """,
        """
        DROP TABLE declarations;
        ALTER TABLE usage ADD COLUMN declared INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage ADD COLUMN data_class TEXT NOT NULL DEFAULT 'public';
        ALTER TABLE usage ADD COLUMN categories TEXT NOT NULL DEFAULT '';
        ALTER TABLE usage ADD COLUMN detected TEXT NOT NULL DEFAULT '';
        ALTER TABLE usage ADD COLUMN verdict TEXT NOT NULL DEFAULT 'allow';
        ALTER TABLE usage ADD COLUMN rules TEXT NOT NULL DEFAULT '';
        ALTER TABLE usage ADD COLUMN redactions INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage ADD COLUMN rulebook TEXT NOT NULL DEFAULT '';
        CREATE INDEX usage_declared ON usage(account_id, seq) WHERE declared = 1;
        """,
        """
        CREATE TABLE receipts (
            request_id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL,
            provider_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            verified INTEGER NOT NULL,
            flags TEXT NOT NULL,
            document TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE ledger (
            seq INTEGER PRIMARY KEY,
            receipt_id TEXT NOT NULL UNIQUE,
            ts TEXT NOT NULL,
            currency TEXT NOT NULL,
            postings TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE ledger_checkpoints (
            seq INTEGER PRIMARY KEY,
            hash TEXT NOT NULL,
            ts TEXT NOT NULL,
            key_id TEXT NOT NULL,
            public_key TEXT NOT NULL,
            signature TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE usage ADD COLUMN receipt TEXT;
        ALTER TABLE usage ADD COLUMN request_sha256 TEXT;
        ALTER TABLE usage ADD COLUMN response_sha256 TEXT;
        ALTER TABLE usage ADD COLUMN counted_input INTEGER;
        ALTER TABLE usage ADD COLUMN counted_output INTEGER;
        ALTER TABLE usage ADD COLUMN price_input TEXT;
        ALTER TABLE usage ADD COLUMN price_output TEXT;
        """,
        """
        CREATE TABLE reconcile_cursors (
            provider_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE accounts ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
        CREATE TABLE rates (
            currency TEXT PRIMARY KEY,
            per_base TEXT NOT NULL,
            base TEXT NOT NULL,
            source TEXT NOT NULL,
            as_of TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE budgets (
            scope TEXT PRIMARY KEY,
            amount TEXT NOT NULL,
            currency TEXT NOT NULL,
            period TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE cable_faults (
            cable_id TEXT PRIMARY KEY,
            cut_at TEXT NOT NULL
        );
        CREATE TABLE price_index (
            bucket TEXT NOT NULL,
            model_class TEXT NOT NULL,
            jurisdiction TEXT NOT NULL,
            currency TEXT NOT NULL,
            tokens INTEGER NOT NULL,
            value TEXT NOT NULL,
            trades INTEGER NOT NULL,
            PRIMARY KEY (bucket, model_class, jurisdiction, currency)
        );
        CREATE TABLE price_index_cursor (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            seq INTEGER NOT NULL
        );
        """,
        """
        ALTER TABLE usage ADD COLUMN flags TEXT NOT NULL DEFAULT '';
        ALTER TABLE usage ADD COLUMN claimed_input INTEGER;
        ALTER TABLE usage ADD COLUMN claimed_output INTEGER;
        ALTER TABLE usage ADD COLUMN counter TEXT;
        ALTER TABLE usage ADD COLUMN tolerance_percent INTEGER;
        ALTER TABLE usage ADD COLUMN tolerance_tokens INTEGER;
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            request_id TEXT NOT NULL,
            record TEXT NOT NULL,
            error TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE seller_flags (
            provider_id TEXT NOT NULL,
            flag TEXT NOT NULL,
            trades INTEGER NOT NULL,
            PRIMARY KEY (provider_id, flag)
        ) WITHOUT ROWID;
        """,
        """
        CREATE TABLE subjects_by_holder (
            holder TEXT NOT NULL,
            origin TEXT NOT NULL,
            counterparty TEXT NOT NULL,
            category TEXT NOT NULL,
            subject BLOB NOT NULL,
            last_seen INTEGER NOT NULL,
            PRIMARY KEY (holder, origin, counterparty, category, subject)
        ) WITHOUT ROWID;
        INSERT INTO subjects_by_holder SELECT '', origin, counterparty, category, subject, last_seen FROM subjects;
        DROP TABLE subjects;
        ALTER TABLE subjects_by_holder RENAME TO subjects;
        CREATE INDEX subjects_last_seen ON subjects(last_seen);
        """,
        """
        CREATE TABLE settings (
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            value TEXT NOT NULL,
            from_file INTEGER NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (kind, scope)
        );
        CREATE TABLE setting_clock (version INTEGER NOT NULL);
        INSERT INTO settings(kind, scope, value, from_file, version, updated_at)
            SELECT 'budget', scope, '{"amount":' || amount || ',"currency":"' || currency || '","period":"' || period || '"}', 0, rowid, updated_at FROM budgets;
        INSERT INTO setting_clock(version) SELECT COALESCE(MAX(version), 0) FROM settings;
        DROP TABLE budgets;
        """,
    ];

    /// <summary>An exporter node's database: only its log of issued receipts.</summary>
    private static readonly string[] ExporterMigrations =
    [
        """
        CREATE TABLE issued_receipts (
            seq INTEGER PRIMARY KEY,
            request_id TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            issued_at TEXT NOT NULL,
            document TEXT NOT NULL
        );
        CREATE INDEX issued_receipts_request ON issued_receipts(request_id);
        """,
        // No query reads receipts by request id (exchanges fetch them by seq), and the index's random
        // keys put one more page in the log for each receipt of a commit: 5 KB of log a receipt at
        // 5,000 a second, filling the 64 MB fallback in two seconds (docs/PERFORMANCE.md).
        "DROP INDEX IF EXISTS issued_receipts_request",
        // Which exchange each receipt was issued for (the key id that signed the request, or the exchange
        // key presented): each exchange reads only its own. Receipts logged before have none and are
        // served to every exchange, as they were. Not indexed: an index on (issued_for, seq) had each
        // commit write one more page (5.9 KB written a request against 4.0 without it, at 50
        // connections) for a read that scans forward from a cursor anyway (docs/PERFORMANCE.md).
        "ALTER TABLE issued_receipts ADD COLUMN issued_for TEXT",
    ];

    /// <summary>The exchange's database (accounts, trades, receipts, ledger).</summary>
    public SqliteDatabase(string path)
        : this(path, Migrations)
    {
    }

    private SqliteDatabase(string path, string[] migrations)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
        {
            Directory.CreateDirectory(dir);
        }

        // Trades, receipts, the ledger and key digests: the owner's only (SQLite gives its -wal and
        // -shm files the database's own permissions).
        Core.Trust.PrivateDirectory.EnsureFile(path);

        FilePath = path;
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
        }.ToString();
        Migrate(migrations);
    }

    /// <summary>An exchange database as an older release left it (its first <paramref name="migrations"/>
    /// steps), for tests of what an upgrade carries over.</summary>
    internal static SqliteDatabase AsOf(string path, int migrations) => new(path, Migrations[..migrations]);

    /// <summary>An exporter node's database as an older release left it (its first <paramref name="migrations"/> steps).</summary>
    internal static SqliteDatabase ExporterAsOf(string path, int migrations) => new(path, ExporterMigrations[..migrations]);

    /// <summary>How many steps come before the first that contains <paramref name="text"/> (for <see cref="AsOf"/>).</summary>
    internal static int StepsBefore(string text)
    {
        var i = Array.FindIndex(Migrations, m => m.Contains(text, StringComparison.Ordinal));
        return i >= 0 ? i : throw new ArgumentException($"no migration step contains '{text}'", nameof(text));
    }

    /// <summary>An exporter node's database.</summary>
    public static SqliteDatabase ForExporter(string path) => new(path, ExporterMigrations);

    public string FilePath { get; }
    public string ConnectionString { get; }

    /// <summary>Set by a <see cref="WalCheckpointer"/>: connections opened from then on leave the
    /// log's checkpoints to it, up to its fallback size.</summary>
    public bool CheckpointsInBackground
    {
        get => Volatile.Read(ref _checkpointsInBackground);
        internal set => Volatile.Write(ref _checkpointsInBackground, value);
    }

    private bool _checkpointsInBackground;

    private const string ConnectionPragmas = "PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-512;";
    private const string OwnCheckpoints = " PRAGMA wal_autocheckpoint=1000;"; // SQLite's default
    private static readonly string BackgroundCheckpoints = $" PRAGMA wal_autocheckpoint={WalCheckpointer.FallbackPages};";

    public SqliteConnection Open()
    {
        var c = new SqliteConnection(ConnectionString);
        c.Open();
        using var pragma = c.CreateCommand();
        // synchronous is per connection: without it here every commit on a WAL database waited for an fsync.
        // A 512 KB page cache per pooled connection (SQLite's default is 2 MB): the writers append at
        // the tails of a few B-trees and readers are occasional, while every pooled connection's cache
        // stays resident (about 10 MB less peak memory under load, no measurable CPU cost).
        // Set either way: a pooled connection keeps what it was given when last opened.
        pragma.CommandText = CheckpointsInBackground ? ConnectionPragmas + BackgroundCheckpoints : ConnectionPragmas + OwnCheckpoints;
        pragma.ExecuteNonQuery();
        return c;
    }

    private void Migrate(string[] migrations)
    {
        using var c = Open();
        using (var wal = c.CreateCommand())
        {
            // WAL with NORMAL sync: a committed batch survives a process crash; an OS crash may
            // lose the last batch, which the receipt reconciliation of a later issue repairs.
            wal.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
            wal.ExecuteNonQuery();
        }

        using var tx = c.BeginTransaction();
        using (var create = c.CreateCommand())
        {
            create.Transaction = tx;
            create.CommandText = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)";
            create.ExecuteNonQuery();
        }

        long version;
        using (var read = c.CreateCommand())
        {
            read.Transaction = tx;
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_version";
            version = (long)read.ExecuteScalar()!;
        }

        for (var v = (int)version; v < migrations.Length; v++)
        {
            using var m = c.CreateCommand();
            m.Transaction = tx;
            m.CommandText = migrations[v] + $"; INSERT INTO schema_version(version) VALUES ({v + 1});";
            m.ExecuteNonQuery();
        }

        tx.Commit();
    }
}
