using System.Runtime.InteropServices;
using System.Text;

namespace Berth.Engine.Layers.Native;

/// <summary>The few Linux file-system calls .NET does not expose (fd-relative creation, owners, device nodes, xattrs, statx), in one place.</summary>
internal static unsafe partial class PosixFileSystem
{
    public const int AT_FDCWD = -100;
    public const int AT_SYMLINK_NOFOLLOW = 0x100;
    public const int AT_REMOVEDIR = 0x200;
    public const int AT_EMPTY_PATH = 0x1000;

    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_TRUNC = 0x200;
    public const int O_DIRECTORY = 0x10000;
    public const int O_NOFOLLOW = 0x20000;
    public const int O_CLOEXEC = 0x80000;
    public const int O_PATH = 0x200000;

    public const ulong RESOLVE_NO_XDEV = 0x01;
    public const ulong RESOLVE_NO_MAGICLINKS = 0x02;
    public const ulong RESOLVE_NO_SYMLINKS = 0x04;
    public const ulong RESOLVE_BENEATH = 0x08;
    public const ulong RESOLVE_IN_ROOT = 0x10;

    public const uint S_IFMT = 0xF000;
    public const uint S_IFSOCK = 0xC000;
    public const uint S_IFLNK = 0xA000;
    public const uint S_IFREG = 0x8000;
    public const uint S_IFBLK = 0x6000;
    public const uint S_IFDIR = 0x4000;
    public const uint S_IFCHR = 0x2000;
    public const uint S_IFIFO = 0x1000;

    public const int ENOENT = 2;
    public const int EPERM = 1;
    public const int EEXIST = 17;
    public const int ENOTDIR = 20;
    public const int EISDIR = 21;
    public const int ELOOP = 40;
    public const int ENODATA = 61;
    public const int EOPNOTSUPP = 95;
    public const int EXDEV = 18;
    public const int ERANGE = 34;

    private const long SYS_openat2 = 437; // same number on every architecture

    public const uint STATX_BASIC_STATS = 0x7ff;

    [StructLayout(LayoutKind.Sequential)]
    private struct OpenHow
    {
        public ulong Flags;
        public ulong Mode;
        public ulong Resolve;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct statx: unlike struct stat its layout is the same on every architecture.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    public struct Statx
    {
        [FieldOffset(8)] public ulong Attributes;
        [FieldOffset(16)] public uint Nlink;
        [FieldOffset(20)] public uint Uid;
        [FieldOffset(24)] public uint Gid;
        [FieldOffset(28)] public ushort Mode;
        [FieldOffset(32)] public ulong Inode;
        [FieldOffset(40)] public ulong Size;
        [FieldOffset(56)] public ulong AttributesMask;
        [FieldOffset(112)] public long MtimeSeconds;
        [FieldOffset(120)] public uint MtimeNanoseconds;
        [FieldOffset(128)] public uint RdevMajor;
        [FieldOffset(132)] public uint RdevMinor;
        [FieldOffset(136)] public uint DevMajor;
        [FieldOffset(140)] public uint DevMinor;

        public readonly uint FileType => Mode & S_IFMT;
        public readonly bool IsDirectory => FileType == S_IFDIR;
        /// <summary>The root of a mount (STATX_ATTR_MOUNT_ROOT, Linux 5.8+): something is mounted on this path.</summary>
        public readonly bool IsMountRoot => (AttributesMask & Attributes & 0x2000) != 0;
        public readonly bool IsWhiteout => FileType == S_IFCHR && RdevMajor == 0 && RdevMinor == 0;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, int dirfd, byte* path, OpenHow* how, nuint size);

    [LibraryImport("libc", EntryPoint = "openat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenAtNative(int dirfd, string path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "mkdirat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirAtNative(int dirfd, string path, uint mode);

    [LibraryImport("libc", EntryPoint = "mknodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MknodAtNative(int dirfd, string path, uint mode, ulong dev);

    [LibraryImport("libc", EntryPoint = "symlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SymlinkAtNative(string target, int dirfd, string path);

    [LibraryImport("libc", EntryPoint = "linkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LinkAtNative(int olddirfd, string oldpath, int newdirfd, string newpath, int flags);

    [LibraryImport("libc", EntryPoint = "unlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnlinkAtNative(int dirfd, string path, int flags);

    [LibraryImport("libc", EntryPoint = "fchownat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FchownAtNative(int dirfd, string path, int uid, int gid, int flags);

    [LibraryImport("libc", EntryPoint = "fchmodat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FchmodAtNative(int dirfd, string path, uint mode, int flags);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FchownNative(int fd, int uid, int gid);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FchmodNative(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "utimensat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UtimensAtNative(int dirfd, string path, Timespec* times, int flags);

    [LibraryImport("libc", EntryPoint = "futimens", SetLastError = true)]
    private static partial int FutimensNative(int fd, Timespec* times);

    [LibraryImport("libc", EntryPoint = "fsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int FsetxattrNative(int fd, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "setxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetxattrNative(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lsetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LsetxattrNative(string path, string name, byte* value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "lgetxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LgetxattrNative(string path, string name, byte* value, nuint size);

    [LibraryImport("libc", EntryPoint = "llistxattr", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint LlistxattrNative(string path, byte* list, nuint size);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatxNative(int dirfd, string path, int flags, uint mask, Statx* buffer);

    [LibraryImport("libc", EntryPoint = "readlinkat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint ReadlinkAtNative(int dirfd, string path, byte* buffer, nuint size);

    public static int LastError => Marshal.GetLastPInvokeError();

    public static IOException Error(int errno, string what) =>
        new($"{what}: {Marshal.GetPInvokeErrorMessage(errno)}", errno);

    /// <summary>openat2(2): returns the fd or −errno.</summary>
    public static int OpenAt2(int dirfd, string path, int flags, ulong resolve)
    {
        int max = Encoding.UTF8.GetMaxByteCount(path.Length) + 1;
        byte[] bytes = new byte[max];
        int n = Encoding.UTF8.GetBytes(path, bytes);
        bytes[n] = 0;
        var how = new OpenHow { Flags = (ulong)(uint)flags, Mode = 0, Resolve = resolve };
        fixed (byte* p = bytes)
        {
            long rc = Syscall(SYS_openat2, dirfd, p, &how, (nuint)sizeof(OpenHow));
            return rc < 0 ? -LastError : (int)rc;
        }
    }

    /// <summary>openat(2): returns the fd or −errno.</summary>
    public static int OpenAt(int dirfd, string path, int flags, uint mode = 0)
    {
        int fd = OpenAtNative(dirfd, path, flags | O_CLOEXEC, mode);
        return fd < 0 ? -LastError : fd;
    }

    public static int MkdirAt(int dirfd, string path, uint mode) => MkdirAtNative(dirfd, path, mode) < 0 ? LastError : 0;

    public static int MknodAt(int dirfd, string path, uint mode, uint major, uint minor) =>
        MknodAtNative(dirfd, path, mode, MakeDev(major, minor)) < 0 ? LastError : 0;

    public static int SymlinkAt(string target, int dirfd, string path) => SymlinkAtNative(target, dirfd, path) < 0 ? LastError : 0;

    public static int LinkAt(int olddirfd, string oldpath, int newdirfd, string newpath) =>
        LinkAtNative(olddirfd, oldpath, newdirfd, newpath, 0) < 0 ? LastError : 0;

    public static int UnlinkAt(int dirfd, string path, bool directory) =>
        UnlinkAtNative(dirfd, path, directory ? AT_REMOVEDIR : 0) < 0 ? LastError : 0;

    public static int LchownAt(int dirfd, string path, int uid, int gid) =>
        FchownAtNative(dirfd, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0 ? LastError : 0;

    public static int ChmodAt(int dirfd, string path, uint mode) => FchmodAtNative(dirfd, path, mode, 0) < 0 ? LastError : 0;

    public static int Fchown(int fd, int uid, int gid) => FchownNative(fd, uid, gid) < 0 ? LastError : 0;

    public static int Fchmod(int fd, uint mode) => FchmodNative(fd, mode) < 0 ? LastError : 0;

    public static int LutimesAt(int dirfd, string path, long seconds, long nanoseconds)
    {
        Timespec* times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        return UtimensAtNative(dirfd, path, times, AT_SYMLINK_NOFOLLOW) < 0 ? LastError : 0;
    }

    public static int Futimes(int fd, long seconds, long nanoseconds)
    {
        Timespec* times = stackalloc Timespec[2];
        times[0] = new Timespec { Seconds = seconds, Nanoseconds = nanoseconds };
        times[1] = times[0];
        return FutimensNative(fd, times) < 0 ? LastError : 0;
    }

    public static int Fsetxattr(int fd, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) return FsetxattrNative(fd, name, p, (nuint)value.Length, 0) < 0 ? LastError : 0;
    }

    /// <summary>setxattr(2), following a final symlink: used on /proc/self/fd/N to reach an O_PATH directory.</summary>
    public static int Setxattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) return SetxattrNative(path, name, p, (nuint)value.Length, 0) < 0 ? LastError : 0;
    }

    public static int Lsetxattr(string path, string name, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value) return LsetxattrNative(path, name, p, (nuint)value.Length, 0) < 0 ? LastError : 0;
    }

    /// <summary>The value of one xattr of <paramref name="path"/> (not following a final symlink), or null when absent.</summary>
    public static byte[]? Lgetxattr(string path, string name)
    {
        Span<byte> small = stackalloc byte[256];
        nint n;
        fixed (byte* p = small) n = LgetxattrNative(path, name, p, (nuint)small.Length);
        if (n >= 0) return small[..(int)n].ToArray();
        int errno = LastError;
        if (errno == ENODATA || errno == EOPNOTSUPP) return null;
        if (errno != ERANGE) throw Error(errno, $"lgetxattr {path} {name}");
        while (true)
        {
            n = LgetxattrNative(path, name, null, 0);
            if (n < 0) throw Error(LastError, $"lgetxattr {path} {name}");
            byte[] big = new byte[n];
            fixed (byte* p = big) n = LgetxattrNative(path, name, p, (nuint)big.Length);
            if (n >= 0) return big.AsSpan(0, (int)n).ToArray();
            if (LastError != ERANGE) throw Error(LastError, $"lgetxattr {path} {name}");
        }
    }

    /// <summary>Names of the xattrs of <paramref name="path"/> (not following a final symlink); empty when none or unsupported.</summary>
    public static List<string> Llistxattr(string path)
    {
        var names = new List<string>();
        Span<byte> small = stackalloc byte[1024];
        nint n;
        fixed (byte* p = small) n = LlistxattrNative(path, p, (nuint)small.Length);
        byte[]? big = null;
        if (n < 0)
        {
            int errno = LastError;
            if (errno == EOPNOTSUPP) return names;
            if (errno != ERANGE) throw Error(errno, $"llistxattr {path}");
            n = LlistxattrNative(path, null, 0);
            if (n < 0) throw Error(LastError, $"llistxattr {path}");
            big = new byte[n];
            fixed (byte* p = big) n = LlistxattrNative(path, p, (nuint)big.Length);
            if (n < 0) throw Error(LastError, $"llistxattr {path}");
        }
        ReadOnlySpan<byte> list = big is null ? small[..(int)n] : big.AsSpan(0, (int)n);
        while (!list.IsEmpty)
        {
            int end = list.IndexOf((byte)0);
            if (end < 0) end = list.Length;
            if (end > 0) names.Add(Encoding.UTF8.GetString(list[..end]));
            list = end < list.Length ? list[(end + 1)..] : default;
        }
        return names;
    }

    /// <summary>statx without following a final symlink; returns 0 or errno.</summary>
    public static int Lstat(int dirfd, string path, out Statx result)
    {
        Statx buffer;
        int rc = StatxNative(dirfd, path, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &buffer);
        result = buffer;
        return rc < 0 ? LastError : 0;
    }

    public static string ReadLink(int dirfd, string path)
    {
        byte[] buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = ReadlinkAtNative(dirfd, path, p, (nuint)buffer.Length);
            if (n < 0) throw Error(LastError, $"readlink {path}");
            return Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    private static ulong MakeDev(uint major, uint minor) =>
        ((ulong)(major & 0xfffff000) << 32) | ((ulong)(major & 0xfff) << 8) |
        ((ulong)(minor & 0xffffff00) << 12) | (minor & 0xff);
}
