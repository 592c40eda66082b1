using SQLitePCL;

namespace Berth.Engine.Metadata.Database;

/// <summary>
/// Open SQLite connections not in use, kept for the next <see cref="Open"/> of the same database (a `run` makes about
/// fifteen store calls); the oldest are closed beyond <see cref="Limit"/>, and all of them when the process exits, which
/// checkpoints the write-ahead log into the database file as the last connection closes.
/// </summary>
static class IdleConnections
{
    const int Limit = 16;
    static bool _closed;
    static readonly LinkedList<(string Path, sqlite3 Handle)> Idle = new();

    /// <summary>A connection to the database at <paramref name="path"/>: an idle one, or a new one set up by <paramref name="configure"/>.</summary>
    public static DatabaseConnection Open(string path, Action<DatabaseConnection> configure)
    {
        lock (Idle)
        {
            for (var node = Idle.Last; node is not null; node = node.Previous)
            {
                if (node.Value.Path != path) continue;
                Idle.Remove(node);
                return new DatabaseConnection(path, node.Value.Handle);
            }
        }
        int rc = raw.sqlite3_open_v2(path, out sqlite3 handle, raw.SQLITE_OPEN_READWRITE | raw.SQLITE_OPEN_CREATE | raw.SQLITE_OPEN_NOMUTEX, null);
        if (rc != raw.SQLITE_OK)
        {
            var error = DatabaseException.From(handle, rc, path);
            handle.Dispose();
            throw error;
        }
        var connection = new DatabaseConnection(path, handle);
        try { configure(connection); }
        catch
        {
            handle.Dispose();
            throw;
        }
        return connection;
    }

    public static void Return(string path, sqlite3 handle)
    {
        sqlite3? evicted = null;
        lock (Idle)
        {
            // After CloseAll (the process is exiting) a connection still in use when it ran closes as it comes back.
            if (_closed) evicted = handle;
            else Idle.AddLast((path, handle));
            if (Idle.Count > Limit)
            {
                evicted = Idle.First!.Value.Handle;
                Idle.RemoveFirst();
            }
        }
        evicted?.Dispose();
    }

    /// <summary>Closes every idle connection, and from then on every connection given back.</summary>
    public static void CloseAll()
    {
        List<sqlite3> handles;
        lock (Idle)
        {
            _closed = true;
            handles = Idle.Select(i => i.Handle).ToList();
            Idle.Clear();
        }
        foreach (var handle in handles) handle.Dispose();
    }

    /// <summary>Once per process: the SQLite library Berth links (e_sqlite3), and closing at exit.</summary>
    static IdleConnections()
    {
        raw.SetProvider(new SQLite3Provider_e_sqlite3());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => CloseAll();
    }
}
