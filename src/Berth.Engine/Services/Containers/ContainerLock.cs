using System.Runtime.InteropServices;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// A per-container cross-process lock (flock on locks/container-ID.lock) that waits for its holder. The file is opened
/// with libc's open, not FileStream: .NET takes its own non-blocking flock when it opens a file, so a second process
/// would fail at once with "being used by another process" instead of waiting.
/// </summary>
sealed partial class ContainerLock : IDisposable
{
    const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000, LOCK_EX = 2, EINTR = 4;
    int _fd;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    ContainerLock(int fd) => _fd = fd;

    public static ContainerLock Acquire(string lockDirectory, string id)
    {
        Directory.CreateDirectory(lockDirectory);
        string path = Path.Combine(lockDirectory, "container-" + id + ".lock");
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
        while (flock(fd, LOCK_EX) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) continue;
            close(fd);
            throw new IOException($"cannot lock {path}: errno {errno}");
        }
        return new ContainerLock(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) close(fd); // closing the only descriptor releases the lock
    }
}
