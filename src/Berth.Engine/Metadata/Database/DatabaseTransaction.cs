namespace Berth.Engine.Metadata.Database;

/// <summary>A transaction on a <see cref="DatabaseConnection"/>: committed by <see cref="Commit"/>, else rolled back.</summary>
public sealed class DatabaseTransaction : IDisposable
{
    internal DatabaseTransaction(DatabaseConnection connection) => Connection = connection;

    internal DatabaseConnection Connection { get; }

    bool Open => Connection.Transaction == this;

    public void Commit() => End("COMMIT");

    public void Rollback() => End("ROLLBACK");

    void End(string sql)
    {
        if (!Open) throw new InvalidOperationException("the transaction has ended");
        try { Connection.Run(sql, [], null); }
        finally
        {
            // A failed COMMIT (SQLITE_BUSY past the timeout) leaves the transaction open in SQLite: roll it back.
            if (SQLitePCL.raw.sqlite3_get_autocommit(Connection.Handle) == 0) TryRollback();
            Connection.Transaction = null;
        }
    }

    void TryRollback()
    {
        try { Connection.Run("ROLLBACK", [], null); }
        catch (DatabaseException) { } // nothing open after all
    }

    /// <summary>Rolls back a transaction not committed.</summary>
    public void Dispose()
    {
        if (!Open) return;
        TryRollback();
        Connection.Transaction = null;
    }
}
