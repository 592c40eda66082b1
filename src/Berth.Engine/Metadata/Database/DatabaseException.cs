using SQLitePCL;

namespace Berth.Engine.Metadata.Database;

/// <summary>An error SQLite reported, with its (extended) result code.</summary>
public sealed class DatabaseException(int code, string message) : Exception(message)
{
    public int Code { get; } = code;

    internal static DatabaseException From(sqlite3 db, int rc, string path) =>
        new(raw.sqlite3_extended_errcode(db), $"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}' ({path})");
}
