using System.Runtime.InteropServices;

namespace Berth.Engine.Build;

/// <summary>
/// What identifies a file's content without reading it: device, inode, mode, size, mtime and ctime (nanoseconds). Any
/// write or chmod changes the ctime, so an unchanged identity means unchanged content, as git's index assumes; a file
/// changed within the last seconds is "racy" and never trusted (its timestamps may not have ticked yet), so an identity is
/// only ever recorded for a file whose last change is older than that window, and any later change moves its ctime.
/// </summary>
public static unsafe partial class FileIdentity
{
    const int AT_FDCWD = -100;
    const int AT_SYMLINK_NOFOLLOW = 0x100;
    const uint STATX_BASIC_STATS = 0x7ff;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>The identity text of <paramref name="path"/>, or null when it cannot be trusted (racy or unreadable).</summary>
    public static string? Of(string path, long racyWindowSeconds = 2) => Of(path, out _, racyWindowSeconds);

    /// <summary>
    /// One statx of <paramref name="path"/> (not following a final symlink): <paramref name="mode"/> gets st_mode (type and
    /// permission bits; 0 when the file cannot be read), the result is the identity or null when it cannot be trusted.
    /// </summary>
    public static string? Of(string path, out uint mode, long racyWindowSeconds = 2) => Of(path, out mode, out _, racyWindowSeconds);

    /// <summary>As <see cref="Of(string, out uint, long)"/>, also giving st_size in <paramref name="size"/>.</summary>
    public static string? Of(string path, out uint mode, out ulong size, long racyWindowSeconds = 2) => Of(path, out mode, out size, out _, racyWindowSeconds);

    /// <summary>As <see cref="Of(string, out uint, out ulong, long)"/>, also giving the number of hard links in <paramref name="links"/>.</summary>
    public static string? Of(string path, out uint mode, out ulong size, out uint links, long racyWindowSeconds = 2)
    {
        mode = 0;
        size = 0;
        links = 0;
        byte* buffer = stackalloc byte[256];
        if (Statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buffer) != 0) return null;
        links = *(uint*)(buffer + 16);
        mode = *(ushort*)(buffer + 28);
        ulong inode = *(ulong*)(buffer + 32);
        size = *(ulong*)(buffer + 40);
        long ctime = *(long*)(buffer + 96);
        uint ctimeNs = *(uint*)(buffer + 104);
        long mtime = *(long*)(buffer + 112);
        uint mtimeNs = *(uint*)(buffer + 120);
        uint devMajor = *(uint*)(buffer + 136);
        uint devMinor = *(uint*)(buffer + 140);
        double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        if (ctime + ctimeNs / 1e9 >= now - racyWindowSeconds || mtime + mtimeNs / 1e9 >= now - racyWindowSeconds) return null;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{devMajor}:{devMinor}:{inode}:{Convert.ToString(mode, 8)}:{size}:{mtime}.{mtimeNs}:{ctime}.{ctimeNs}");
    }
}
