namespace Berth.Engine.Runtime;

/// <summary>
/// A launcher script that runs a program in a private mount namespace without the host's cgroup2 mount
/// (/sys/fs/cgroup/unified), so that on a hybrid cgroup layout the program sees a cgroup v1 host.
/// </summary>
/// <remarks>
/// crun 1.x decides the cgroup mode from statfs of /sys/fs/cgroup and /sys/fs/cgroup/unified alone, and in hybrid mode
/// refuses to run ("cgroups in hybrid mode not supported, drop all controllers from cgroupv2") when the cgroup2 mount has
/// any controller, e.g. hugetlb when no v1 hugetlb hierarchy is mounted. Seeing a v1 host it manages the v1 controllers
/// (cgroupfs, limits included) exactly as runc does on this layout. The unmount happens in the launcher's own namespace
/// only: the host keeps its cgroup2 mount. conmon calls the runtime by path, hence a file rather than arguments.
/// The namespace is a copy of the host's mounts when it is made, with propagation from the host (slave): a create started
/// before its bundle is ready (config.json a FIFO, see <see cref="ConmonMonitor.Launch"/>) sees the root file system
/// mounted meanwhile because its mount point was made a shared mount before (<see cref="SharedMountPoint"/>); the host's
/// other mounts are private here and stay as they were in the copy. Nothing propagates back to the host.
/// </remarks>
public static class CgroupV1ViewLauncher
{
    /// <summary>The unified (cgroup2) mount of a hybrid layout.</summary>
    public const string UnifiedMount = "/sys/fs/cgroup/unified";

    /// <summary>The script's text for <paramref name="binaryPath"/>.</summary>
    public static string Script(string binaryPath) =>
        "#!/bin/sh\n" +
        "# Written by Berth: runs " + Path.GetFileName(binaryPath) + " in a mount namespace of its own without " + UnifiedMount + "\n" +
        "# (crun refuses a hybrid cgroup layout whose cgroup2 mount has controllers; it manages the v1 controllers instead).\n" +
        "# Its mounts are slaves of the host's: a root filesystem mounted later on a shared mount point appears here too.\n" +
        "exec unshare --mount --propagation slave /bin/sh -c 'umount -l " + UnifiedMount + " && exec \"$0\" \"$@\"' '" +
        binaryPath.Replace("'", "'\\''", StringComparison.Ordinal) + "' \"$@\"\n";

    /// <summary>
    /// Writes the launcher for <paramref name="binaryPath"/> at <paramref name="path"/> (atomically, only when missing or
    /// different) and returns <paramref name="path"/>.
    /// </summary>
    public static string Ensure(string path, string binaryPath)
    {
        string text = Script(binaryPath);
        try
        {
            if (File.ReadAllText(path) == text) return path;
        }
        catch (IOException) { }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, text);
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
