using Npgsql;

namespace Entrepot.Tests;

/// <summary>The real PostgreSQL the test command starts (ENTREPOT_TEST_POSTGRES); each caller gets a
/// database of its own, so tests never see each other's rows. Linked into every test project that
/// uses PostgreSQL.</summary>
internal static class TestPostgres
{
    /// <summary>The connection string of the server itself (its maintenance database).</summary>
    public static string Server
    {
        get
        {
            var server = Environment.GetEnvironmentVariable("ENTREPOT_TEST_POSTGRES");
            return string.IsNullOrEmpty(server)
                ? throw new InvalidOperationException("ENTREPOT_TEST_POSTGRES is not set: run the tests with ./test.sh, which starts a throw-away PostgreSQL, or point it at one.")
                : server;
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static string FreshDatabase()
    {
        var server = Server;
        var name = "entrepot_test_" + Guid.NewGuid().ToString("N")[..12];
        using (var c = new NpgsqlConnection(server))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
            cmd.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }
}
