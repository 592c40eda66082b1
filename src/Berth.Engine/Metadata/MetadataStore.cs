using Microsoft.Data.Sqlite;

namespace Berth.Engine.Metadata;

/// <summary>The SQLite metadata database (WAL mode): images, tags, layers, and what references them.</summary>
/// <remarks>
/// Every call opens a pooled connection of its own, so the store is safe to use from several threads;
/// writes run in IMMEDIATE transactions so concurrent berth processes serialise instead of deadlocking.
/// </remarks>
public sealed partial class MetadataStore
{
    readonly string _connectionString;

    public MetadataStore(string databasePath)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();
        using var connection = Open();
        Migrate(connection);
    }

    internal SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction and commits it.</summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction(deferred: false);
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    public void Write(Action<SqliteConnection, SqliteTransaction> work) => Write<object?>((c, t) => { work(c, t); return null; });

    public T Read<T>(Func<SqliteConnection, T> work)
    {
        using var connection = Open();
        return work(connection);
    }

    static readonly string[] Migrations =
    [
        """
        CREATE TABLE images (
            id TEXT PRIMARY KEY,
            created TEXT,
            parent TEXT,
            added INTEGER NOT NULL
        );
        CREATE TABLE layers (
            chain_id TEXT PRIMARY KEY,
            diff_id TEXT NOT NULL,
            parent TEXT,
            size INTEGER NOT NULL
        );
        CREATE TABLE image_layers (
            image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            chain_id TEXT NOT NULL REFERENCES layers(chain_id),
            PRIMARY KEY (image_id, position)
        );
        CREATE INDEX image_layers_by_chain ON image_layers(chain_id);
        CREATE TABLE layer_blobs (
            diff_id TEXT NOT NULL,
            digest TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            PRIMARY KEY (diff_id, digest)
        );
        CREATE TABLE blob_sources (
            digest TEXT NOT NULL,
            registry TEXT NOT NULL,
            repository TEXT NOT NULL,
            PRIMARY KEY (digest, registry, repository)
        );
        CREATE TABLE tags (
            name TEXT PRIMARY KEY,
            image_id TEXT NOT NULL REFERENCES images(id),
            added INTEGER NOT NULL
        );
        CREATE INDEX tags_by_image ON tags(image_id);
        CREATE TABLE repo_digests (
            repository TEXT NOT NULL,
            digest TEXT NOT NULL,
            image_id TEXT NOT NULL REFERENCES images(id),
            PRIMARY KEY (repository, digest)
        );
        CREATE INDEX repo_digests_by_image ON repo_digests(image_id);
        CREATE TABLE leases (
            id TEXT PRIMARY KEY,
            pid INTEGER NOT NULL,
            created INTEGER NOT NULL
        );
        CREATE TABLE lease_resources (
            lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            resource TEXT NOT NULL,
            PRIMARY KEY (lease_id, kind, resource)
        );
        """,
    ];

    static void Migrate(SqliteConnection connection)
    {
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction(deferred: false);
        using var version = connection.CreateCommand();
        version.Transaction = transaction;
        version.CommandText = "PRAGMA user_version;";
        long current = (long)version.ExecuteScalar()!;
        for (long i = current; i < Migrations.Length; i++)
        {
            using var step = connection.CreateCommand();
            step.Transaction = transaction;
            step.CommandText = Migrations[i] + $"\nPRAGMA user_version={i + 1};";
            step.ExecuteNonQuery();
        }
        transaction.Commit();
    }
}

/// <summary>Small conveniences over ADO.NET commands.</summary>
static class SqliteCommands
{
    public static SqliteCommand Command(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return command;
    }

    public static int Execute(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = connection.Command(sql, transaction, parameters);
        return command.ExecuteNonQuery();
    }

    public static object? Scalar(this SqliteConnection connection, string sql, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = connection.Command(sql, transaction, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }

    public static List<T> Query<T>(this SqliteConnection connection, string sql, Func<SqliteDataReader, T> map, SqliteTransaction? transaction = null, params (string, object?)[] parameters)
    {
        using var command = connection.Command(sql, transaction, parameters);
        using var reader = command.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read()) rows.Add(map(reader));
        return rows;
    }
}
