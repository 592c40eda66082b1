using System.Runtime.InteropServices;
using Berth.Engine.Layers.Native;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers.Copy;

/// <summary>
/// An owned Linux file descriptor, and the fd-relative operations the copier needs: everything it does to a file is
/// done through a descriptor it already holds, never by resolving a path string a second time.
/// </summary>
internal sealed unsafe partial class FileDescriptor : IDisposable
{
    public const ulong InRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    public const ulong Beneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;

    public int Fd { get; private set; }

    private FileDescriptor(int fd) => Fd = fd;

    public void Dispose()
    {
        if (Fd >= 0) PosixFileSystem.Close(Fd);
        Fd = -1;
    }

    /// <summary>The path of this descriptor's own inode through procfs: opening or chmod-ing it reaches exactly this file.</summary>
    public string ProcPath => "/proc/self/fd/" + Fd;

    /// <summary>openat2 relative to <paramref name="dirfd"/>; returns the descriptor or −errno.</summary>
    public static int TryOpen2(int dirfd, string path, int flags, ulong resolve, out FileDescriptor? fd)
    {
        int rc = OpenAt2(dirfd, path.Length == 0 ? "." : path, flags | O_CLOEXEC, resolve);
        fd = rc >= 0 ? new FileDescriptor(rc) : null;
        return rc >= 0 ? 0 : -rc;
    }

    /// <summary>openat relative to <paramref name="dirfd"/>; returns 0 or errno.</summary>
    public static int TryOpen(int dirfd, string path, int flags, uint mode, out FileDescriptor? fd)
    {
        int rc = OpenAt(dirfd, path, flags, mode);
        fd = rc >= 0 ? new FileDescriptor(rc) : null;
        return rc >= 0 ? 0 : -rc;
    }

    /// <summary>Opens a host path (trusted: symlinks followed as the kernel does) as an O_PATH descriptor.</summary>
    public static int TryOpenHost(string path, bool followFinal, out FileDescriptor? fd) =>
        TryOpen(AT_FDCWD, path, O_PATH | (followFinal ? 0 : O_NOFOLLOW), 0, out fd);

    /// <summary>Reopens this descriptor's inode for reading (a directory for listing, a file for its data).</summary>
    public FileDescriptor Reopen(int flags)
    {
        int rc = OpenAt(AT_FDCWD, ProcPath, flags);
        if (rc < 0) throw Error(-rc, "reopen");
        return new FileDescriptor(rc);
    }

    public Statx Stat()
    {
        Statx buffer;
        if (StatxNative(Fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &buffer) < 0)
            throw Error(LastError, "statx");
        return buffer;
    }

    /// <summary>The host path the kernel reports for this descriptor (for messages and for the container-relative path).</summary>
    public string RealPath()
    {
        byte[] buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = ReadlinkNative(ProcPath, p, (nuint)buffer.Length);
            if (n < 0) throw Error(LastError, "readlink " + ProcPath);
            return System.Text.Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    /// <summary>The names in this directory (not . and ..), in ordinal order as Go's filepath.Walk visits them.</summary>
    public List<string> ListNames()
    {
        using var dir = Reopen(O_RDONLY | O_DIRECTORY);
        var names = new List<string>();
        var enumerable = new System.IO.Enumeration.FileSystemEnumerable<string>(dir.ProcPath,
            (ref System.IO.Enumeration.FileSystemEntry e) => e.FileName.ToString(), FileEnumeration.Everything(recurse: false));
        names.AddRange(enumerable);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>chmod of this descriptor's inode (not valid for symlinks, whose mode cannot change on Linux).</summary>
    public int Chmod(uint mode) => ChmodAt(AT_FDCWD, ProcPath, mode);

    /// <summary>
    /// The security.capability xattr of this inode as Docker archives it (pkg/archive ReadSecurityXattrToTarHeader): a
    /// VFS_CAP_REVISION_3 value (with a namespace root uid) becomes revision 2, which means nothing outside that namespace
    /// is lost; null when the file has none.
    /// </summary>
    public byte[]? FileCapability()
    {
        const string Name = "security.capability";
        Span<byte> buffer = stackalloc byte[64];
        nint n;
        // getxattr follows /proc/self/fd/N to this descriptor's own inode (O_PATH descriptors take no fgetxattr).
        fixed (byte* p = buffer) n = GetxattrNative(ProcPath, Name, p, (nuint)buffer.Length);
        if (n < 0)
        {
            int errno = LastError;
            if (errno is ENODATA or EOPNOTSUPP) return null;
            throw Error(errno, "getxattr " + Name);
        }
        var value = buffer[..(int)n].ToArray();
        const int VersionOffset = 3, Revision2 = 2, Revision3 = 3, Revision2Size = 20;
        if (value.Length > VersionOffset && value[VersionOffset] == Revision3 && value.Length >= Revision2Size)
        {
            value[VersionOffset] = Revision2;
            value = value[..Revision2Size];
        }
        return value;
    }

    [LibraryImport("libc", EntryPoint = "getxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetxattrNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", EntryPoint = "readlink", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadlinkNative(string path, byte* buffer, nuint size);
}
