using System.Runtime.InteropServices;

namespace Berth.Engine;

/// <summary>A cross-process advisory lock (flock) on a file in the store's locks/ folder.</summary>
/// <remarks>
/// Writers that make new references to existing layers hold the "gc" lock shared while they check and
/// reference; garbage collection holds it exclusive while it decides and unlinks. Each acquisition opens
/// its own file description, so the lock also works between threads of one process.
/// A lock file that is no longer needed (a removed container's) is unlinked by its holder before it lets go
/// (<see cref="RemoveFileOnRelease"/>); whoever was waiting on it then holds a lock on a file no longer at the path, so
/// every acquisition checks that the file it locked is still the one at the path, and opens the path again if not.
/// </remarks>
public sealed partial class StoreLock : IDisposable
{
    const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4;
    const int EINTR = 4, ENOENT = 2;
    const int O_RDWR = 2, O_CREAT = 0x40, O_CLOEXEC = 0x80000;
    readonly string _path;
    int _fd;
    bool _removeFile;

    // The lock file is opened with open(2), not FileStream: .NET takes a non-blocking flock of its own on every
    // FileStream, so a second process would fail at once ("being used by another process") instead of waiting.
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);

    [LibraryImport("libc")]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    StoreLock(string path, int fd) => (_path, _fd) = (path, fd);

    public static StoreLock Shared(string lockDir, string name) => Acquire(lockDir, name, LOCK_SH);
    public static StoreLock Exclusive(string lockDir, string name) => Acquire(lockDir, name, LOCK_EX);

    static StoreLock Acquire(string lockDir, string name, int operation)
    {
        Directory.CreateDirectory(lockDir);
        string path = Path.Combine(lockDir, name + ".lock");
        while (true)
        {
            int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0x180 /* 0600 */);
            if (fd < 0) throw new IOException($"cannot open {path}: errno {Marshal.GetLastPInvokeError()}");
            while (flock(fd, operation) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR) continue;
                close(fd);
                throw new IOException($"cannot lock {name}: errno {errno}");
            }
            // The holder before us may have removed the file while we waited: a lock on it excludes nobody who opens the
            // path now, so lock whatever file the path names now instead.
            if (PosixFileInfo.IsLinkedAt(fd, path)) return new StoreLock(path, fd);
            close(fd);
        }
    }

    /// <summary>
    /// Whether an exclusive lock on <paramref name="name"/> could be taken now (nobody holds one); null when there is no
    /// such lock file, which this does not make.
    /// </summary>
    public static bool? IsFree(string lockDir, string name)
    {
        string path = Path.Combine(lockDir, name + ".lock");
        int fd = open(path, O_RDWR | O_CLOEXEC, 0);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == ENOENT) return null;
            throw new IOException($"cannot open {path}: errno {errno}");
        }
        try
        {
            int rc;
            do rc = flock(fd, LOCK_EX | LOCK_NB);
            while (rc != 0 && Marshal.GetLastPInvokeError() == EINTR);
            return rc == 0;
        }
        finally
        {
            close(fd); // lets go of the lock if it was taken
        }
    }

    /// <summary>
    /// Unlinks the lock file when the lock is let go (before it is), for a lock nothing will need again: a removed
    /// container's. Only for an exclusive lock, so no other holder is left on the unlinked file.
    /// </summary>
    public void RemoveFileOnRelease() => _removeFile = true;

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0) return;
        if (_removeFile)
        {
            try { File.Delete(_path); }
            catch (IOException) { } // left for the next holder that finds it unneeded
            catch (UnauthorizedAccessException) { }
        }
        close(fd); // closing the only descriptor releases the lock
    }
}
