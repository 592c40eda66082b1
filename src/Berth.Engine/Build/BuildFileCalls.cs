using System.Runtime.InteropServices;

namespace Berth.Engine.Build;

/// <summary>The Linux calls the builder's data paths use that neither .NET nor Layers/Native expose: in-kernel copies and early writeback.</summary>
internal static partial class BuildFileCalls
{
    public const int EXDEV = 18;
    public const int EINVAL = 22;
    public const int ENOSYS = 38;
    public const int EOPNOTSUPP = 95;
    const uint SYNC_FILE_RANGE_WRITE = 2;

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRangeNative(int fdIn, IntPtr offIn, int fdOut, IntPtr offOut, nuint length, uint flags);

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRangeNative(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncNative(int fd);

    /// <summary>copy_file_range(2) from the current offsets: bytes copied, or −errno.</summary>
    public static long CopyFileRange(int from, int to, long length)
    {
        nint n = CopyFileRangeNative(from, IntPtr.Zero, to, IntPtr.Zero, (nuint)length, 0);
        return n < 0 ? -Marshal.GetLastPInvokeError() : n;
    }

    /// <summary>Starts writeback of a range without waiting for it, so a later fsync finds most of the data already on disk.</summary>
    public static void StartWriteback(int fd, long offset, long length) => SyncFileRangeNative(fd, offset, length, SYNC_FILE_RANGE_WRITE);

    /// <summary>fsync(2); 0 or errno.</summary>
    public static int Fsync(int fd) => FsyncNative(fd) < 0 ? Marshal.GetLastPInvokeError() : 0;
}
