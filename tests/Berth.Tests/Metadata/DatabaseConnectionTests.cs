using Berth.Engine.Metadata.Database;
using Berth.Tests.Support;

namespace Berth.Tests.Metadata;

/// <summary>The small SQL layer the metadata store runs on (SQLitePCL.raw), held to what ADO.NET did for it before.</summary>
public class DatabaseConnectionTests
{
    static DatabaseConnection Open(TempDirectory dir) =>
        IdleConnections.Open(dir.Combine("test.db"), c => c.Execute("PRAGMA foreign_keys=ON; PRAGMA busy_timeout=60000;"));

    [Fact]
    public void Execute_runs_every_statement_and_counts_the_rows_its_writes_changed()
    {
        using var dir = new TempDirectory();
        using var c = Open(dir);
        c.Execute("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER); INSERT INTO t VALUES ('a', 1); INSERT INTO t VALUES ('b', 2);");
        Assert.Equal(2, c.Execute("UPDATE t SET n = n + 1; SELECT * FROM t;"));
        Assert.Equal(0, c.Execute("UPDATE t SET n = 0 WHERE k = 'none'"));
        Assert.Equal(1, c.Execute("DELETE FROM t WHERE k = $k", null, ("$k", "a")));
        Assert.Equal([("b", 3L)], c.Query("SELECT k, n FROM t", r => (r.GetString(0), r.GetInt64(1))));
        // Statements that change no row (schema, pragmas) add nothing, whatever came before them.
        Assert.Equal(1, c.Execute("INSERT INTO t VALUES ('c', 4); CREATE INDEX t_n ON t(n); PRAGMA user_version = 3;"));
    }

    [Fact]
    public void Reading_NULL_as_a_number_or_a_string_is_refused()
    {
        using var dir = new TempDirectory();
        using var c = Open(dir);
        Assert.Throws<InvalidCastException>(() => c.Query("SELECT NULL", r => r.GetInt64(0)));
        Assert.Throws<InvalidCastException>(() => c.Query("SELECT NULL", r => r.GetInt32(0)));
        Assert.Throws<InvalidCastException>(() => c.Query("SELECT NULL", r => r.GetString(0)));
        Assert.Equal([true], c.Query("SELECT NULL", r => r.IsDBNull(0)));
    }

    [Fact]
    public void A_connection_still_inside_a_transaction_is_closed_rather_than_lent_again()
    {
        using var dir = new TempDirectory();
        using (var c = Open(dir)) c.Execute("CREATE TABLE t (n INTEGER)");
        // A transaction SQLite holds that no DatabaseTransaction tracks (as after a failed ROLLBACK): the write lock with it.
        using (var c = Open(dir)) c.Execute("BEGIN IMMEDIATE; INSERT INTO t VALUES (1);");
        using var next = Open(dir);
        using (var t = next.BeginTransaction())
        {
            next.Execute("INSERT INTO t VALUES (2)", t);
            t.Commit();
        }
        Assert.Equal(2L, next.Scalar("SELECT sum(n) FROM t"));
    }

    [Fact]
    public void Named_parameters_bind_each_kind_of_value_and_a_missing_one_is_refused()
    {
        using var dir = new TempDirectory();
        using var c = Open(dir);
        c.Execute("CREATE TABLE v (s TEXT, l INTEGER, b INTEGER, x BLOB, z TEXT)");
        c.Execute("INSERT INTO v VALUES ($s, $l, $b, $x, $z)", null, ("$s", "text"), ("$l", 1L << 40), ("$b", true), ("$x", new byte[] { 1, 2, 3 }), ("$z", null));
        var row = c.Query("SELECT s, l, b, x, z FROM v", r => (r.GetString(0), r.GetInt64(1), r.GetInt32(2), r.GetBlob(3), r.IsDBNull(4))).Single();
        Assert.Equal(("text", 1L << 40, 1, true), (row.Item1, row.Item2, row.Item3, row.Item5));
        Assert.Equal(new byte[] { 1, 2, 3 }, row.Item4);
        Assert.Equal(1L << 40, c.Scalar("SELECT l FROM v"));
        Assert.Equal("text", c.Scalar("SELECT s FROM v"));
        Assert.Null(c.Scalar("SELECT z FROM v"));
        Assert.Null(c.Scalar("SELECT s FROM v WHERE 0"));
        var e = Assert.Throws<InvalidOperationException>(() => c.Execute("INSERT INTO v(s) VALUES ($missing)"));
        Assert.Contains("$missing", e.Message);
    }

    [Fact]
    public void A_transaction_not_committed_is_rolled_back_and_commands_must_name_the_open_one()
    {
        using var dir = new TempDirectory();
        using (var c = Open(dir))
        {
            c.Execute("CREATE TABLE t (n INTEGER)");
            using (var t = c.BeginTransaction())
            {
                c.Execute("INSERT INTO t VALUES (1)", t);
                Assert.Throws<InvalidOperationException>(() => c.Execute("INSERT INTO t VALUES (2)"));
            }
            Assert.Equal(0L, c.Scalar("SELECT count(*) FROM t"));
            using (var t = c.BeginTransaction())
            {
                c.Execute("INSERT INTO t VALUES (3)", t);
                t.Commit();
                Assert.Throws<InvalidOperationException>(() => t.Commit());
            }
            // Given back with a transaction open: rolled back on the way.
            var open = c.BeginTransaction();
            c.Execute("INSERT INTO t VALUES (4)", open);
        }
        using var again = Open(dir);
        Assert.Equal(3L, again.Scalar("SELECT sum(n) FROM t"));
    }

    [Fact]
    public void An_error_names_SQLite_s_message_and_the_database()
    {
        using var dir = new TempDirectory();
        using var c = Open(dir);
        c.Execute("CREATE TABLE u (k TEXT UNIQUE)");
        c.Execute("INSERT INTO u VALUES ('a')");
        var e = Assert.Throws<DatabaseException>(() => c.Execute("INSERT INTO u VALUES ('a')"));
        Assert.Contains("UNIQUE constraint failed: u.k", e.Message);
        Assert.Contains(dir.Combine("test.db"), e.Message);
        Assert.Equal(2067, e.Code); // SQLITE_CONSTRAINT_UNIQUE
        Assert.Throws<DatabaseException>(() => c.Query("SELECT nothing FROM nowhere", r => 0));
    }

    [Fact]
    public void A_connection_given_back_is_lent_again_with_what_it_holds()
    {
        using var dir = new TempDirectory();
        using (var c = Open(dir)) c.Execute("CREATE TEMP TABLE mine (n INTEGER)"); // a temp table lives as long as its connection
        using var again = Open(dir);
        Assert.Equal(0L, again.Scalar("SELECT count(*) FROM mine"));
        again.Dispose();
        Assert.Throws<ObjectDisposedException>(() => again.Execute("SELECT 1"));
    }
    [Fact]
    public void A_read_snapshot_keeps_what_its_first_query_saw_while_another_connection_commits()
    {
        using var dir = new TempDirectory();
        using (var setup = Open(dir)) setup.Execute("PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1);");
        using var reader = Open(dir);
        using var writer = Open(dir);
        using (reader.BeginReadSnapshot())
        {
            Assert.Equal(1L, reader.Scalar("SELECT count(*) FROM t"));
            writer.Execute("INSERT INTO t VALUES (2)"); // commits at once: WAL lets it past the open reader
            Assert.Equal(1L, reader.Scalar("SELECT count(*) FROM t"));
            Assert.Throws<InvalidOperationException>(() => reader.BeginTransaction());
            Assert.Throws<InvalidOperationException>(() => reader.Execute("INSERT INTO t VALUES (9)")); // no write slips in
        }
        // Ended: the next query sees the commit, and the connection can write again.
        Assert.Equal(2L, reader.Scalar("SELECT count(*) FROM t"));
        using var t = reader.BeginTransaction();
        reader.Execute("INSERT INTO t VALUES (3)", t);
        t.Commit();
        Assert.Equal(3L, writer.Scalar("SELECT count(*) FROM t"));
    }

    [Fact]
    public void A_read_snapshot_is_refused_inside_a_transaction_and_ends_after_a_failed_query()
    {
        using var dir = new TempDirectory();
        using var c = Open(dir);
        c.Execute("CREATE TABLE t (n INTEGER)");
        using (var t = c.BeginTransaction())
            Assert.Throws<InvalidOperationException>(() => c.BeginReadSnapshot());
        using (c.BeginReadSnapshot())
            Assert.Throws<DatabaseException>(() => c.Query("SELECT * FROM missing", r => r.GetInt64(0)));
        Assert.Equal(1, SQLitePCL.raw.sqlite3_get_autocommit(c.Handle)); // back out of any transaction
    }
}
