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
    const int LOCK_SH = 1, LOCK_EX = 2, LOCK_UN = 8;
    const int EINTR = 4;
    readonly FileStream _file;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int flock(int fd, int operation);

    StoreLock(FileStream file) => _file = file;

    public static StoreLock Shared(string lockDir, string name) => Acquire(lockDir, name, LOCK_SH);
    public static StoreLock Exclusive(string lockDir, string name) => Acquire(lockDir, name, LOCK_EX);

    static StoreLock Acquire(string lockDir, string name, int operation)
    {
        Directory.CreateDirectory(lockDir);
        var file = new FileStream(Path.Combine(lockDir, name + ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        int fd = (int)file.SafeFileHandle.DangerousGetHandle();
        while (flock(fd, operation) != 0)
        {
            if (Marshal.GetLastPInvokeError() == EINTR) continue;
            file.Dispose();
            throw new IOException($"cannot lock {name}: errno {Marshal.GetLastPInvokeError()}");
        }
        return new StoreLock(file);
    }

    bool _released;

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        flock((int)_file.SafeFileHandle.DangerousGetHandle(), LOCK_UN);
        _file.Dispose();
    }
}
