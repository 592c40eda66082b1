using System.Runtime.InteropServices;
using Berth.Engine.Runtime;
using Berth.Engine.Snapshots;

namespace Berth.Engine.Services.Containers;

/// <summary>Mounts a container's overlay root file system (image layers below, its own upper dir on top) and unmounts it.</summary>
public static partial class RootfsMount
{
    const ulong MS_NODEV = 4;
    const int EINVAL = 22;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string fstype, ulong flags, string data);

    /// <summary>Mounts <paramref name="snapshot"/> at <paramref name="target"/> unless it is mounted there already.</summary>
    /// <param name="disposable">
    /// The upper dir is thrown away when the container ends (`--rm`): it is mounted `volatile`, so that unmounting does not
    /// sync the whole host file system the upper dir lives on (overlayfs syncs it on every unmount otherwise, which with other
    /// writes pending on the host took most of a second). overlayfs leaves work/incompat/volatile behind to refuse a
    /// remount after a crash; a disposable upper dir has nothing worth keeping, so it is cleared before mounting again.
    /// </param>
    public static void Mount(ActiveSnapshot snapshot, string target, string emptyLower, bool disposable = false)
    {
        // A directory made just now has nothing mounted on it: the scan of the mount table is for one that was there.
        if (Directory.Exists(target) && IsMounted(target)) return;
        Directory.CreateDirectory(target);
        if (disposable)
        {
            string incompat = Path.Combine(snapshot.WorkDirectory, "work", "incompat");
            if (Directory.Exists(incompat)) Directory.Delete(incompat, recursive: true);
        }
        var lowers = snapshot.LowerDirectories.ToList();
        if (lowers.Count == 0)
        {
            Directory.CreateDirectory(emptyLower);
            lowers.Add(emptyLower);
        }
        string data = $"lowerdir={string.Join(':', lowers)},upperdir={snapshot.UpperDirectory},workdir={snapshot.WorkDirectory}";
        if (disposable && mount("overlay", target, "overlay", MS_NODEV, data + ",redirect_dir=off,metacopy=off,volatile") == 0) return;
        if (mount("overlay", target, "overlay", MS_NODEV, data + ",redirect_dir=off,metacopy=off") == 0) return;
        int errno = Marshal.GetLastPInvokeError();
        // Kernels without these options reject them; their defaults are off anyway.
        if (errno == EINVAL && mount("overlay", target, "overlay", MS_NODEV, data) == 0) return;
        errno = Marshal.GetLastPInvokeError();
        throw new ContainerStartException($"error mounting the container's root file system at {target}: errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})", 125);
    }

    /// <summary>Lazily unmounts <paramref name="target"/> (every mount stacked there); a path with nothing mounted is fine.</summary>
    public static void Unmount(string target) => SharedMountPoint.UnmountAll(target);

    /// <summary>
    /// Whether the root file system (an overlay) is mounted at <paramref name="target"/>: the mount on top there, not merely
    /// any (a shared mount point made for crun's launcher lies below it, see <see cref="SharedMountPoint"/>).
    /// </summary>
    public static bool IsMounted(string target) => MountTable.TopMountAt(target) == "overlay";
}
