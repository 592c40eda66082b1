using Berth.Engine.Metadata.Schema;
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
        Diagnostics.PhaseTimer.Mark("metadata: connection open");
        Migrate(connection);
        Diagnostics.PhaseTimer.Mark("metadata: migrated");
    }

    internal SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // A pooled connection comes back as it was left: the settings are made once per database connection, not per use
        // (a store call opens one each time; a `run` makes about fifteen).
        if (!Configured.TryGetValue(connection.Handle!, out _))
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL;";
            pragma.ExecuteNonQuery();
            Configured.AddOrUpdate(connection.Handle!, ConfiguredMarker);
        }
        return connection;
    }

    /// <summary>Database connections (SQLite handles) whose settings are made.</summary>
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> Configured = new();
    static readonly object ConfiguredMarker = new();

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

    /// <summary>
    /// Brings every schema component up to date in one IMMEDIATE transaction. Each component (images, containers,
    /// volumes, build cache) keeps its own version in <c>schema_components</c>, so features add tables without
    /// renumbering each other's migrations.
    /// </summary>
    static void Migrate(SqliteConnection connection)
    {
        if (IsCurrent(connection)) return;
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            wal.ExecuteNonQuery();
        }
        using var transaction = connection.BeginTransaction(deferred: false);
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_components (name TEXT PRIMARY KEY, version INTEGER NOT NULL)", transaction);
        // Stores made before components had versions of their own recorded the images schema as user_version 1.
        if (connection.Scalar("PRAGMA user_version", transaction) is long legacy && legacy > 0)
        {
            connection.Execute("INSERT OR IGNORE INTO schema_components(name, version) VALUES ('images', $v)", transaction, ("$v", legacy));
            connection.Execute("PRAGMA user_version = 0", transaction);
        }
        foreach (var component in MetadataSchema.Components)
        {
            long current = connection.Scalar("SELECT version FROM schema_components WHERE name = $n", transaction, ("$n", component.Name)) is long v ? v : 0;
            for (long i = current; i < component.Migrations.Count; i++)
                connection.Execute(component.Migrations[(int)i], transaction);
            if (component.Migrations.Count > current)
                connection.Execute("INSERT INTO schema_components(name, version) VALUES ($n, $v) ON CONFLICT(name) DO UPDATE SET version = $v", transaction,
                    ("$n", component.Name), ("$v", (long)component.Migrations.Count));
        }
        transaction.Commit();
    }

    /// <summary>
    /// Whether every component is at its latest version already (the common case): one read, no write lock, so commands
    /// do not queue behind each other just to open the store. WAL mode is persistent, set by the first migration.
    /// </summary>
    static bool IsCurrent(SqliteConnection connection)
    {
        Dictionary<string, long> versions;
        try
        {
            versions = connection.Query("SELECT name, version FROM schema_components", r => (r.GetString(0), r.GetInt64(1)))
                .ToDictionary(v => v.Item1, v => v.Item2, StringComparer.Ordinal);
        }
        catch (SqliteException) { return false; }
        return MetadataSchema.Components.All(c => versions.TryGetValue(c.Name, out long v) && v >= c.Migrations.Count);
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
