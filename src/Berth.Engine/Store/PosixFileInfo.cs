using System.Runtime.InteropServices;

namespace Berth.Engine;

/// <summary>lstat fields .NET does not expose (device, inode, link count, owner).</summary>
static partial class PosixFileInfo
{
    [StructLayout(LayoutKind.Sequential)]
    struct StatX86_64
    {
        public ulong st_dev; public ulong st_ino; public ulong st_nlink;
        public uint st_mode; public uint st_uid; public uint st_gid; public int pad0;
        public ulong st_rdev; public long st_size; public long st_blksize; public long st_blocks;
        public long st_atime; public long st_atime_nsec; public long st_mtime; public long st_mtime_nsec;
        public long st_ctime; public long st_ctime_nsec;
        public long r0, r1, r2;
    }

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, out StatX86_64 buf);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int stat(string path, out StatX86_64 buf);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int fstat(int fd, out StatX86_64 buf);

    /// <summary>Whether the file open as <paramref name="fd"/> is the one linked at <paramref name="path"/> (same device and inode).</summary>
    public static bool IsLinkedAt(int fd, string path) =>
        fstat(fd, out var opened) == 0 && lstat(path, out var named) == 0 && opened.st_ino == named.st_ino && opened.st_dev == named.st_dev;

    public static bool TryGetInode(string path, out long device, out long inode, out long links)
    {
        device = inode = links = 0;
        if (lstat(path, out var st) != 0) return false;
        device = (long)st.st_dev; inode = (long)st.st_ino; links = (long)st.st_nlink;
        return true;
    }

    /// <summary>
    /// The numbers of the block device at <paramref name="path"/> (through symlinks), or why there are none: the error
    /// as Go words a failed stat ("stat /dev/x: no such file or directory"), or that the file is no block device.
    /// </summary>
    public static (long Major, long Minor)? BlockDeviceNumbers(string path, out string? error)
    {
        error = null;
        if (stat(path, out var st) != 0)
        {
            string message = Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
            error = $"stat {path}: {(message.Length > 0 ? char.ToLowerInvariant(message[0]) + message[1..] : message)}";
            return null;
        }
        if ((st.st_mode & S_IFMT) != S_IFBLK) { error = $"{path} is not a block device"; return null; }
        return (Major(st.st_rdev), Minor(st.st_rdev));
    }

    /// <summary>
    /// The device node at <paramref name="path"/> itself (lstat: a symlink is none): 'c' or 'b', its numbers, permission
    /// bits and owner; null when it is no character or block device or cannot be read.
    /// </summary>
    public static (char Type, long Major, long Minor, uint Mode, uint Uid, uint Gid)? DeviceNode(string path)
    {
        if (lstat(path, out var st) != 0) return null;
        char type = (st.st_mode & S_IFMT) switch { S_IFCHR => 'c', S_IFBLK => 'b', _ => '\0' };
        if (type == '\0') return null;
        return (type, Major(st.st_rdev), Minor(st.st_rdev), st.st_mode & 0xFFF, st.st_uid, st.st_gid);
    }

    const uint S_IFMT = 0xF000, S_IFBLK = 0x6000, S_IFCHR = 0x2000;

    // glibc's gnu_dev_major / gnu_dev_minor.
    static long Major(ulong dev) => (long)(((dev >> 8) & 0xfff) | ((dev >> 32) & 0xfffff000UL));
    static long Minor(ulong dev) => (long)((dev & 0xff) | ((dev >> 12) & 0xffffff00UL));

    public static bool TryGetOwner(string path, out int uid, out int gid)
    {
        uid = gid = 0;
        if (lstat(path, out var st) != 0) return false;
        uid = (int)st.st_uid; gid = (int)st.st_gid;
        return true;
    }
}
