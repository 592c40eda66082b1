using System.Runtime.InteropServices;

namespace Berth.Engine.Build;

/// <summary>An overlayfs mount of an active snapshot (upper + work over lower dirs); unmounted on dispose.</summary>
/// <remarks>
/// <c>redirect_dir=off,metacopy=off</c> keep every change in the upper dir as a plain file, directory or whiteout, which is
/// what a layer tar can express; <c>index=off</c> lets the same lower dirs be used by several mounts at once.
/// </remarks>
public sealed partial class OverlayMount : IDisposable
{
    const ulong MS_RDONLY = 1;
    const ulong MS_NODEV = 4;
    const int MNT_DETACH = 2;

    [LibraryImport("libc", EntryPoint = "mount", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MountNative(string source, string target, string fsType, ulong flags, string data);

    [LibraryImport("libc", EntryPoint = "umount2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Umount2(string target, int flags);

    public string Target { get; }
    bool _mounted;

    OverlayMount(string target)
    {
        Target = target;
        _mounted = true;
    }

    const int EINVAL = 22;

    /// <summary>Whether this kernel accepts overlayfs' <c>volatile</c> option (Linux 5.10+); cleared on the first refusal.</summary>
    static volatile bool s_volatileSupported = true;

    /// <summary>Mounts <paramref name="lowerDirs"/> (top first; at least one) with the upper and work dirs at <paramref name="target"/>.</summary>
    /// <param name="volatileUpper">
    /// Mount with <c>volatile</c>: overlayfs then skips its syncs, above all the syncfs of the whole underlying file system
    /// that unmounting otherwise does (with other processes' dirty data, it cost tens of milliseconds for one tiny COPY and
    /// a full write-out of a large one). Only for an upper dir that is never mounted again: a step's upper dir becomes a
    /// layer snapshot (as unpacked layers, not fsynced; the layer's tar in the content store is).
    /// </param>
    public static OverlayMount Mount(IReadOnlyList<string> lowerDirs, string upperDir, string workDir, string target, bool volatileUpper = false)
    {
        if (lowerDirs.Count == 0) throw new ArgumentException("overlay needs at least one lower dir", nameof(lowerDirs));
        Directory.CreateDirectory(target);
        string data = $"lowerdir={string.Join(':', lowerDirs)},upperdir={upperDir},workdir={workDir},redirect_dir=off,metacopy=off,index=off";
        if (volatileUpper && s_volatileSupported)
        {
            if (MountNative("overlay", target, "overlay", MS_NODEV, data + ",volatile") == 0) return new OverlayMount(target);
            if (Marshal.GetLastPInvokeError() == EINVAL) s_volatileSupported = false;
        }
        if (MountNative("overlay", target, "overlay", MS_NODEV, data) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new BuildException($"mounting the build step's file system failed: {Marshal.GetPInvokeErrorMessage(errno)} (overlayfs needs root)");
        }
        return new OverlayMount(target);
    }

    /// <summary>A read-only overlay of <paramref name="lowerDirs"/> (top first; at least two) at <paramref name="target"/>.</summary>
    public static OverlayMount MountReadOnly(IReadOnlyList<string> lowerDirs, string target)
    {
        if (lowerDirs.Count < 2) throw new ArgumentException("a read-only overlay needs at least two lower dirs", nameof(lowerDirs));
        Directory.CreateDirectory(target);
        string data = $"lowerdir={string.Join(':', lowerDirs)},redirect_dir=off,metacopy=off,index=off";
        if (MountNative("overlay", target, "overlay", MS_NODEV | MS_RDONLY, data) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new BuildException($"mounting a source image's file system failed: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        return new OverlayMount(target);
    }

    /// <summary>Lazily unmounts whatever is mounted at <paramref name="target"/> (an abandoned step's mount); no error when nothing is.</summary>
    public static void Detach(string target)
    {
        if (Directory.Exists(target)) Umount2(target, MNT_DETACH);
    }

    public void Dispose()
    {
        if (!_mounted) return;
        _mounted = false;
        if (Umount2(Target, 0) != 0) Umount2(Target, MNT_DETACH);
    }
}
