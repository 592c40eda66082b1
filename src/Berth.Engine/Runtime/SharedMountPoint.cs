using System.Runtime.InteropServices;

namespace Berth.Engine.Runtime;

/// <summary>
/// A directory bind-mounted on itself and made a shared mount, so that what is mounted on it later also appears in the
/// mount namespaces copied from this one as slaves meanwhile (see <see cref="IOciRuntime.SeesLaterMountsOnlyByPropagation"/>).
/// Without it a namespace is a copy of the mounts as they were when it was made: the host's mounts are private here.
/// </summary>
public static partial class SharedMountPoint
{
    const ulong MS_BIND = 4096, MS_SHARED = 1 << 20;
    const int MNT_DETACH = 2, EINVAL = 22, ENOENT = 2;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string? source, string target, string? fstype, ulong flags, nint data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    /// <summary>
    /// Makes <paramref name="directory"/> (created if missing) a shared mount point: bound on itself when nothing is mounted
    /// there, and the mount on top made shared (one left there by an earlier run included).
    /// </summary>
    public static void Make(string directory)
    {
        Directory.CreateDirectory(directory);
        bool bound = false;
        if (MountTable.TopMountAt(directory) is null)
        {
            if (mount(directory, directory, null, MS_BIND, 0) != 0) throw Failure("bind-mount", directory);
            bound = true;
        }
        if (mount(null, directory, null, MS_SHARED, 0) != 0)
        {
            var failure = Failure("make shared", directory);
            if (bound) UnmountAll(directory);
            throw failure;
        }
    }

    /// <summary>Lazily unmounts every mount stacked at <paramref name="target"/>; a path with nothing mounted is fine.</summary>
    /// <remarks>
    /// umount2 is asked until it answers EINVAL (no mount point there any more) or ENOENT, rather than reading the mount
    /// table before and after: that is a parse of /proc/self/mountinfo, hundreds of lines on a busy host, per call.
    /// </remarks>
    public static void UnmountAll(string target)
    {
        for (int i = 0; i < 8; i++)
            if (umount2(target, MNT_DETACH) != 0 && Marshal.GetLastPInvokeError() is EINVAL or ENOENT) return;
    }

    static RuntimeException Failure(string what, string directory)
    {
        int errno = Marshal.GetLastPInvokeError();
        return new RuntimeException($"cannot {what} {directory}: {Marshal.GetPInvokeErrorMessage(errno)}");
    }
}
