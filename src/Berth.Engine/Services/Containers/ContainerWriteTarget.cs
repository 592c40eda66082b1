namespace Berth.Engine.Services.Containers;

/// <summary>
/// Whether `cp` may write into a container directory, by Docker's rule (daemon/archive.go): inside a volume or bind mount
/// the mount must be read-write ("mounted volume is marked read-only"); anywhere else the root file system must not be
/// --read-only ("container rootfs is marked read-only"). --tmpfs mounts are not mount points to Docker here, so they
/// count as the root file system.
/// </summary>
public static class ContainerWriteTarget
{
    public const string ReadOnlyRootfsMessage = "container rootfs is marked read-only";
    public const string ReadOnlyVolumeMessage = "mounted volume is marked read-only";

    /// <summary>
    /// Throws Docker's error when <paramref name="containerDirectory"/> (absolute, resolved in the container) may not be
    /// written. Without <paramref name="mountsPresent"/> (a stopped container on a kernel that cannot attach its mounts for
    /// the copy, which then sees only its root file system) a directory inside a volume or bind mount is refused too,
    /// rather than written into the root file system beneath it.
    /// </summary>
    public static void Check(ContainerSettings settings, string containerDirectory, bool mountsPresent = true)
    {
        // The deepest mount holding the directory decides (Docker walks an unordered map; nested mounts make that random).
        var mount = settings.Mounts
            .Where(m => m.Type is "bind" or "volume" && Holds(m.Destination, containerDirectory))
            .MaxBy(m => m.Destination.TrimEnd('/').Length);
        if (mount is not null)
        {
            if (!mount.ReadWrite) throw new InvalidInputException(ReadOnlyVolumeMessage);
            if (!mountsPresent)
                throw new ConflictException($"copying into {mount.Destination} (a {mount.Type} mount) of a stopped container needs Linux 6.15 or later: start the container first");
            return;
        }
        if (settings.HostConfig.ReadonlyRootfs) throw new InvalidInputException(ReadOnlyRootfsMessage);
    }

    /// <summary>Go's filepath.Rel test of volumemounts' HasResource: the path is the mount point or below it.</summary>
    static bool Holds(string mountPoint, string path)
    {
        string m = mountPoint.TrimEnd('/'), p = path.TrimEnd('/');
        if (m.Length == 0) return true;
        return p == m || p.StartsWith(m + "/", StringComparison.Ordinal);
    }
}
