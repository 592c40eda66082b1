using Berth.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Berth.Tests.Metadata;

public class LinkedSqliteTests
{
    [Fact]
    public void The_tests_run_the_SQLite_version_that_is_linked_into_berth()
    {
        // libsqlite3-dev's version, e.g. "3.40.1-2+deb12u2": its upstream part is what sqlite_version() reports.
        var package = ProcessRunner.Run("dpkg-query", ["-W", "-f=${Version}", "libsqlite3-dev"]);
        Assert.True(package.ExitCode == 0, "libsqlite3-dev (the SQLite linked into berth) is not installed: " + package.Stderr);
        string upstream = package.Stdout.Split('-')[0];
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sqlite_version()";
        Assert.Equal(upstream, (string)command.ExecuteScalar()!);
    }
}
