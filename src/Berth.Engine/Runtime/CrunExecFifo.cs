using System.Runtime.InteropServices;

namespace Berth.Engine.Runtime;

/// <summary>
/// Starts a created crun container the way `crun start` itself does (libcrun's write of the exec fifo: open the state
/// directory's exec.fifo for writing, remove it, which is what makes crun report the container as running, and write one
/// byte, which the container's init is blocked reading before it executes the process). Done here because on a hybrid
/// cgroup layout `crun start` runs through a launcher of four processes (see <see cref="CgroupV1ViewLauncher"/>), ~30 ms
/// of a `run --rm`. The open does not wait: with no reader (init gone) it fails and the start is left to `crun start`, so
/// its checks and error message stay the runtime's. Berth's bundles have no OCI hooks, so skipping crun start's poststart
/// hooks skips nothing.
/// </summary>
internal static partial class CrunExecFifo
{
    const int O_WRONLY = 1, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    /// <summary>The fifo of container <paramref name="id"/> under crun's state root (present while it is "created").</summary>
    public static string PathOf(string stateRoot, string id) => Path.Combine(stateRoot, id, "exec.fifo");

    /// <summary>Releases the container's process; false when it must be left to `crun start` (nothing done then).</summary>
    public static bool TryStart(string stateRoot, string id)
    {
        string fifo = PathOf(stateRoot, id);
        int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) return false; // no fifo (not "created") or no reader (init gone): crun start reports it
        try
        {
            File.Delete(fifo);
            // The fifo is gone, so crun would call the container started: init went away between the open and the write.
            if (!NativeProcess.WriteByte(fd))
                throw new RuntimeException($"crun start {id}: the container's init exited before it was started (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            NativeProcess.CloseFd(fd);
        }
        return true;
    }
}
