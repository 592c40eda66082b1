using SQLitePCL;

namespace Berth.Engine.Metadata.Database;

/// <summary>
/// An open connection to the metadata database, lent by <see cref="IdleConnections"/> and given back on Dispose: runs SQL
/// with named parameters ($name) and maps rows. One thread uses it at a time.
/// </summary>
/// <remarks>
/// Written over SQLitePCL.raw (the binding Microsoft.Data.Sqlite itself is built on) instead of Microsoft.Data.Sqlite: the
/// latter's first open in a process cost ~3 ms more here (its pool factory starts a timer thread, its provider is found by
/// reflection), every berth command opens the store once, and Berth needs only this much of ADO.NET.
/// </remarks>
public sealed class DatabaseConnection : IDisposable
{
    readonly string _path;
    sqlite3? _handle;

    internal DatabaseConnection(string path, sqlite3 handle)
    {
        _path = path;
        _handle = handle;
    }

    internal sqlite3 Handle => _handle ?? throw new ObjectDisposedException(nameof(DatabaseConnection));

    /// <summary>Whether a read transaction <see cref="BeginReadSnapshot"/> began is still open.</summary>
    bool _snapshotOpen;

    /// <summary>The transaction begun on this connection and not yet ended.</summary>
    internal DatabaseTransaction? Transaction { get; set; }

    /// <summary>
    /// Begins an IMMEDIATE transaction: it takes the write lock now, so concurrent berth processes queue (busy_timeout)
    /// instead of failing when a read transaction would later have to become a write one.
    /// </summary>
    public DatabaseTransaction BeginTransaction()
    {
        if (Transaction is not null || _snapshotOpen) throw new InvalidOperationException("a transaction is already open on this connection");
        Run("BEGIN IMMEDIATE", [], null);
        return Transaction = new DatabaseTransaction(this);
    }

    /// <summary>
    /// Begins a read transaction (SQLite's deferred BEGIN) and returns what ends it: every statement run on this connection
    /// until then sees the database as the first of them found it (in WAL mode a reader keeps its snapshot while others
    /// commit), so an answer made of several queries is not torn by a write another process commits between them. Only
    /// reads run in it: a statement that would write is refused, as is a write transaction.
    /// </summary>
    public IDisposable BeginReadSnapshot()
    {
        if (Transaction is not null || _snapshotOpen) throw new InvalidOperationException("a transaction is already open on this connection");
        Run("BEGIN DEFERRED", [], null);
        _snapshotOpen = true;
        return new ReadSnapshot(this);
    }

    /// <summary>Ends the read transaction <see cref="BeginReadSnapshot"/> began (COMMIT; a read-only one has nothing to write).</summary>
    sealed class ReadSnapshot(DatabaseConnection connection) : IDisposable
    {
        bool _ended;

        public void Dispose()
        {
            if (_ended) return;
            _ended = true;
            connection._snapshotOpen = false;
            if (connection._handle is not { } handle || raw.sqlite3_get_autocommit(handle) != 0) return;
            try { connection.Run("COMMIT", [], null); }
            catch (DatabaseException)
            {
                try { connection.Run("ROLLBACK", [], null); }
                catch (DatabaseException) { } // a handle left in a transaction is closed, not lent again (Dispose)
            }
        }
    }

    /// <summary>Runs every statement of <paramref name="sql"/>; returns the rows its INSERT, UPDATE and DELETE statements changed.</summary>
    public int Execute(string sql, DatabaseTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        Check(transaction);
        return Run(sql, parameters, null);
    }

    /// <summary>The first column of the first row (long, double, string, byte[]), or null for none or NULL.</summary>
    public object? Scalar(string sql, DatabaseTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        Check(transaction);
        object? value = null;
        bool seen = false;
        Run(sql, parameters, row =>
        {
            if (!seen) value = row.GetValue(0);
            seen = true;
        });
        return value;
    }

    /// <summary>Every row of <paramref name="sql"/>'s result, mapped.</summary>
    public List<T> Query<T>(string sql, Func<DatabaseRow, T> map, DatabaseTransaction? transaction = null, params (string Name, object? Value)[] parameters)
    {
        Check(transaction);
        var rows = new List<T>();
        Run(sql, parameters, row => rows.Add(map(row)));
        return rows;
    }

    /// <summary>As ADO.NET asks: a command on a connection with an open transaction names that transaction, and no other.</summary>
    void Check(DatabaseTransaction? transaction)
    {
        if (transaction is not null && transaction.Connection != this)
            throw new InvalidOperationException("the transaction belongs to another connection");
        if (transaction is null && Transaction is not null)
            throw new InvalidOperationException("a command on a connection with an open transaction must be given that transaction");
        if (transaction is not null && Transaction != transaction)
            throw new InvalidOperationException("the transaction has ended");
    }

    /// <summary>
    /// Prepares and steps each statement of <paramref name="sql"/> in turn, binding the parameters each one names; returns
    /// the rows the statements inserted, updated or deleted (SQLite's total count moves only for those: a CREATE or a
    /// PRAGMA leaves its last-change count as the statement before left it).
    /// </summary>
    internal int Run(string sql, (string Name, object? Value)[] parameters, Action<DatabaseRow>? onRow)
    {
        var db = Handle;
        int changed = 0;
        string remaining = sql;
        while (remaining.Length > 0)
        {
            int rc = raw.sqlite3_prepare_v2(db, remaining, out sqlite3_stmt statement, out string tail);
            if (rc != raw.SQLITE_OK) throw DatabaseException.From(db, rc, _path);
            using (statement)
            {
                if (statement is not null && !statement.IsInvalid)
                {
                    // A write would turn the snapshot into a write transaction without the write lock (SQLITE_BUSY_SNAPSHOT).
                    if (_snapshotOpen && raw.sqlite3_stmt_readonly(statement) == 0)
                        throw new InvalidOperationException("a read snapshot cannot write: " + sql);
                    Bind(statement, parameters);
                    var row = new DatabaseRow(statement);
                    int before = raw.sqlite3_total_changes(db);
                    while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW) onRow?.Invoke(row);
                    if (rc != raw.SQLITE_DONE) throw DatabaseException.From(db, rc, _path);
                    if (raw.sqlite3_total_changes(db) != before) changed += raw.sqlite3_changes(db);
                }
            }
            // A tail as long as what was given means nothing was consumed (text after a NUL character): stop there.
            if (tail is null || tail.Length >= remaining.Length) break;
            remaining = tail;
        }
        return changed;
    }

    static void Bind(sqlite3_stmt statement, (string Name, object? Value)[] parameters)
    {
        int count = raw.sqlite3_bind_parameter_count(statement);
        for (int i = 1; i <= count; i++)
        {
            string name = raw.sqlite3_bind_parameter_name(statement, i).utf8_to_string();
            int found = Array.FindIndex(parameters, p => p.Name == name);
            if (found < 0) throw new InvalidOperationException($"no value given for the SQL parameter {name}");
            int rc = parameters[found].Value switch
            {
                null or DBNull => raw.sqlite3_bind_null(statement, i),
                string s => raw.sqlite3_bind_text(statement, i, s),
                long l => raw.sqlite3_bind_int64(statement, i, l),
                int n => raw.sqlite3_bind_int64(statement, i, n),
                bool b => raw.sqlite3_bind_int64(statement, i, b ? 1 : 0),
                double d => raw.sqlite3_bind_double(statement, i, d),
                byte[] bytes => raw.sqlite3_bind_blob(statement, i, bytes),
                var other => throw new NotSupportedException($"SQL parameter {name}: values of type {other.GetType().Name} are not stored"),
            };
            if (rc != raw.SQLITE_OK) throw new DatabaseException(rc, $"SQLite Error {rc}: cannot bind {name}");
        }
    }

    /// <summary>
    /// Gives the connection back to the idle ones (rolling back a transaction left open); unusable afterwards. A handle
    /// still inside a transaction (its ROLLBACK failed too) is closed instead: kept, it would hold the write lock.
    /// </summary>
    public void Dispose()
    {
        if (_handle is null) return;
        Transaction?.Dispose();
        if (Interlocked.Exchange(ref _handle, null) is not { } handle) return;
        if (raw.sqlite3_get_autocommit(handle) == 0) handle.Dispose();
        else IdleConnections.Return(_path, handle);
    }
}
