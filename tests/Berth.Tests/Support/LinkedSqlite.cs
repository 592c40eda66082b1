using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Berth.Tests.Support;

/// <summary>
/// The tests run the SQLite that is linked into the shipped berth: Debian's (libsqlite3-dev's static library for the
/// Native AOT binary, libsqlite3-0's shared one here), not the newer copy the NuGet package carries, so every query the
/// in-process tests make runs on the same SQLite version users get.
/// </summary>
static class LinkedSqlite
{
    /// <summary>Debian 12's shared SQLite, the same version as its libsqlite3.a.</summary>
    public const string Library = "libsqlite3.so.0";

    [ModuleInitializer]
    internal static void UseDebianSqlite() =>
        NativeLibrary.SetDllImportResolver(typeof(SQLitePCL.SQLite3Provider_e_sqlite3).Assembly,
            (name, _, _) => name == "e_sqlite3" ? NativeLibrary.Load(Library) : 0);
}
