namespace Berth.Engine.Containers.Changes;

/// <summary>
/// Paths the runtime creates in a container's root as mount points (/proc, /dev, /etc/hosts …). Docker keeps them
/// in a hidden "init" layer under the container's layer, so they never show in <c>diff</c> or <c>commit</c>;
/// Berth has no init layer and leaves them out explicitly.
/// </summary>
public static class ContainerMountPoints
{
    /// <summary>Docker's init layer (daemon/initlayer) plus the mounts runc makes for every container.</summary>
    public static IReadOnlyList<string> Defaults { get; } =
    [
        "/.dockerenv", "/dev", "/dev/console", "/dev/mqueue", "/dev/pts", "/dev/shm", "/etc/hostname", "/etc/hosts",
        "/etc/mtab", "/etc/resolv.conf", "/proc", "/sys",
    ];

    private static readonly HashSet<string> DefaultSet = new(Defaults, StringComparer.Ordinal);

    /// <summary>Whether a "/a/b" path is a mount point or below one.</summary>
    public static bool Covers(string path)
    {
        for (string p = path; p.Length > 1; p = p[..p.LastIndexOf('/')])
        {
            if (DefaultSet.Contains(p)) return true;
            if (p.LastIndexOf('/') <= 0) break;
        }
        return false;
    }

    /// <summary>Whether a "/a" path is a directory above a mount point (made by the runtime when the image lacks it).</summary>
    public static bool IsAncestorOfOne(string path) => Defaults.Any(m => m.StartsWith(path + "/", StringComparison.Ordinal));
}
