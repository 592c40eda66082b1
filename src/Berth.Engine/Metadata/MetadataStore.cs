using Berth.Engine.Metadata.Schema;
using Berth.Engine.Metadata.Database;

namespace Berth.Engine.Metadata;

/// <summary>The SQLite metadata database (WAL mode): images, tags, layers, and what references them.</summary>
/// <remarks>
/// Every call takes a connection of its own (idle ones are kept: <see cref="IdleConnections"/>), so the store is safe to
/// use from several threads; writes run in IMMEDIATE transactions so concurrent berth processes serialise instead of
/// deadlocking.
/// </remarks>
public sealed partial class MetadataStore
{
    readonly string _path;

    public MetadataStore(string databasePath)
    {
        _path = Path.GetFullPath(databasePath);
        using var connection = Open();
        Diagnostics.PhaseTimer.Mark("metadata: connection open");
        Migrate(connection);
        Diagnostics.PhaseTimer.Mark("metadata: migrated");
    }

    /// <summary>A connection of this store's own (an idle one when there is one), set up once when it is opened.</summary>
    internal DatabaseConnection Open() => IdleConnections.Open(_path, connection =>
        connection.Execute("PRAGMA foreign_keys=ON; PRAGMA busy_timeout=60000; PRAGMA synchronous=NORMAL;"));

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction and commits it.</summary>
    public T Write<T>(Func<DatabaseConnection, DatabaseTransaction, T> work)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        T result = work(connection, transaction);
        transaction.Commit();
        return result;
    }

    public void Write(Action<DatabaseConnection, DatabaseTransaction> work) => Write<object?>((c, t) => { work(c, t); return null; });

    /// <summary>Runs <paramref name="work"/>'s queries in one read transaction, so together they see one state of the database.</summary>
    public T Read<T>(Func<DatabaseConnection, T> work)
    {
        using var connection = Open();
        using var snapshot = connection.BeginReadSnapshot();
        return work(connection);
    }

    /// <summary>
    /// Brings every schema component up to date in one IMMEDIATE transaction. Each component (images, containers,
    /// volumes, build cache) keeps its own version in <c>schema_components</c>, so features add tables without
    /// renumbering each other's migrations.
    /// </summary>
    static void Migrate(DatabaseConnection connection)
    {
        if (IsCurrent(connection)) return;
        connection.Execute("PRAGMA journal_mode=WAL;");
        using var transaction = connection.BeginTransaction();
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
    static bool IsCurrent(DatabaseConnection connection)
    {
        Dictionary<string, long> versions;
        try
        {
            versions = connection.Query("SELECT name, version FROM schema_components", r => (r.GetString(0), r.GetInt64(1)))
                .ToDictionary(v => v.Item1, v => v.Item2, StringComparer.Ordinal);
        }
        catch (DatabaseException) { return false; }
        return MetadataSchema.Components.All(c => versions.TryGetValue(c.Name, out long v) && v >= c.Migrations.Count);
    }
}
