using System.Runtime.InteropServices;

namespace Berth.Engine;

/// <summary>A cross-process advisory lock (flock) on a file in the store's locks/ folder.</summary>
/// <remarks>
/// Writers that make new references to existing layers hold the "gc" lock shared while they check and
/// reference; garbage collection holds it exclusive while it decides and unlinks. Each acquisition opens
/// its own file description, so the lock also works between threads of one process.
/// </remarks>
public sealed partial class StoreLock : IDisposable
{
    const int LOCK_SH = 1, LOCK_EX = 2;
    const int EINTR = 4;
    const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    int _fd;

    // The lock file is opened with open(2), not FileStream: .NET takes a non-blocking flock of its own on every
    // FileStream, so a second process would fail at once ("being used by another process") instead of waiting.
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    StoreLock(int fd) => _fd = fd;

    public static StoreLock Shared(string lockDir, string name) => Acquire(lockDir, name, LOCK_SH);
    public static StoreLock Exclusive(string lockDir, string name) => Acquire(lockDir, name, LOCK_EX);

    static StoreLock Acquire(string lockDir, string name, int operation)
    {
        Directory.CreateDirectory(lockDir);
        string path = Path.Combine(lockDir, name + ".lock");
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */);
        if (fd < 0) throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
        while (flock(fd, operation) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR) continue;
            close(fd);
            throw new IOException($"cannot lock {name}: errno {errno}");
        }
        return new StoreLock(fd);
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) close(fd); // closing the only descriptor releases the lock
    }
}
