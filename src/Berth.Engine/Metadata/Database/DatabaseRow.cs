using SQLitePCL;

namespace Berth.Engine.Metadata.Database;

/// <summary>The row a query stands on: its columns by position, converted as SQLite converts them.</summary>
public sealed class DatabaseRow
{
    readonly sqlite3_stmt _statement;

    internal DatabaseRow(sqlite3_stmt statement) => _statement = statement;

    public bool IsDBNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    public string GetString(int column) => IsDBNull(column)
        ? throw new InvalidCastException($"column {column} is NULL")
        : raw.sqlite3_column_text(_statement, column).utf8_to_string();

    /// <summary>The column as an integer; NULL is refused, as Microsoft.Data.Sqlite refused it (read it with <see cref="IsDBNull"/> first).</summary>
    public long GetInt64(int column) => IsDBNull(column)
        ? throw new InvalidCastException($"column {column} is NULL")
        : raw.sqlite3_column_int64(_statement, column);

    public int GetInt32(int column) => checked((int)GetInt64(column));

    /// <summary>The column's bytes: a BLOB's, or a TEXT's in UTF-8.</summary>
    public byte[] GetBlob(int column) => IsDBNull(column)
        ? throw new InvalidCastException($"column {column} is NULL")
        : raw.sqlite3_column_blob(_statement, column).ToArray();

    /// <summary>The column as its storage class has it: long, double, string, byte[], or null.</summary>
    public object? GetValue(int column) => raw.sqlite3_column_type(_statement, column) switch
    {
        raw.SQLITE_INTEGER => GetInt64(column),
        raw.SQLITE_FLOAT => raw.sqlite3_column_double(_statement, column),
        raw.SQLITE_TEXT => GetString(column),
        raw.SQLITE_BLOB => GetBlob(column),
        _ => null,
    };
}
