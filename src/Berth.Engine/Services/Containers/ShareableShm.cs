using System.Globalization;
using System.Runtime.InteropServices;
using Berth.Engine.Runtime;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// The /dev/shm of a container whose IPC namespace others may join (`--ipc shareable`): a tmpfs mounted on the host in
/// the container's directory while it runs, bound into it and into every container started with `--ipc
/// container:NAME` (Docker's ShmPath). Unmounted lazily when the container ends: a joiner still running keeps it.
/// </summary>
static partial class ShareableShm
{
    const ulong MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string fstype, ulong flags, string data);

    /// <summary>Where the shared /dev/shm of the container in <paramref name="containerDirectory"/> is mounted.</summary>
    public static string PathIn(string containerDirectory) => Path.Combine(containerDirectory, "shm");

    /// <summary>
    /// Mounts a fresh tmpfs of <paramref name="sizeBytes"/> at <paramref name="target"/>, on top of whatever is there: the
    /// shared mount point a launch made for a runtime in a mount namespace of its own (see
    /// <see cref="Runtime.MonitorOptions.ShmMountPoint"/>), through which the mount reaches it, or a stale tmpfs of a run
    /// whose end was never cleaned up (<see cref="Unmount"/> takes all of them).
    /// </summary>
    public static void Mount(string target, long sizeBytes)
    {
        Directory.CreateDirectory(target);
        string data = "mode=1777,size=" + sizeBytes.ToString(CultureInfo.InvariantCulture);
        if (mount("shm", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data) == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        throw new ContainerStartException($"error mounting the container's shared /dev/shm at {target}: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})", 125);
    }

    /// <summary>Lazily unmounts what <see cref="Mount"/> mounted at <paramref name="target"/>; nothing mounted there is fine.</summary>
    public static void Unmount(string target) => SharedMountPoint.UnmountAll(target);
}
