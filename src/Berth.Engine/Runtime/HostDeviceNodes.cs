using System.Globalization;

namespace Berth.Engine.Runtime;

/// <summary>The host's device nodes as the runtime creates them in a container (--privileged, --device).</summary>
public static class HostDeviceNodes
{
    /// <summary>Every character and block device of the host (for --privileged), read from /sys/dev/*/*/uevent.</summary>
    public static List<OciDevice> All()
    {
        var devices = new List<OciDevice>();
        if (!OperatingSystem.IsLinux()) return devices;
        foreach (var (kind, type) in new[] { ("char", "c"), ("block", "b") })
        {
            string dir = "/sys/dev/" + kind;
            if (!Directory.Exists(dir)) continue;
            foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
            {
                string? name = null;
                long major = -1, minor = -1;
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(entry, "uevent")))
                    {
                        if (line.StartsWith("DEVNAME=", StringComparison.Ordinal)) name = line[8..];
                        else if (line.StartsWith("MAJOR=", StringComparison.Ordinal)) major = long.Parse(line[6..], CultureInfo.InvariantCulture);
                        else if (line.StartsWith("MINOR=", StringComparison.Ordinal)) minor = long.Parse(line[6..], CultureInfo.InvariantCulture);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
                {
                    continue;
                }
                if (name is null || major < 0 || minor < 0) continue;
                string path = "/dev/" + name;
                // The runtime provides its own console, ptmx and pts; /dev/pts/N nodes belong to the host.
                if (name.StartsWith("pts/", StringComparison.Ordinal) || name is "console" or "ptmx" or "tty") continue;
                if (!File.Exists(path)) continue;
                uint mode;
                try { mode = (uint)File.GetUnixFileMode(path) & 0xFFF; }
                catch (IOException) { continue; }
                devices.Add(new OciDevice { Path = path, Type = type, Major = major, Minor = minor, FileMode = mode, Uid = 0, Gid = 0 });
            }
        }
        return devices.OrderBy(d => d.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// The device nodes `--device HOST:CONTAINER` gives a container (moby's DevicesFromPath): the node at
    /// <paramref name="pathOnHost"/> (a symlink followed, as /dev/disk/by-id/… are), or, for a directory, every node
    /// beneath it (symlinks in it skipped), each at <paramref name="pathInContainer"/> plus its path below the directory;
    /// with their host numbers, permission bits and owner. Docker's error when there is none.
    /// </summary>
    public static IReadOnlyList<OciDevice> Expand(string pathOnHost, string pathInContainer)
    {
        string Fail(string why) => throw new InvalidInputException($"error gathering device information while adding custom device \"{pathOnHost}\": {why}");
        if (!Path.Exists(pathOnHost)) Fail("no such file or directory");
        string real = new FileInfo(pathOnHost).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(pathOnHost);
        if (Node(real, pathInContainer) is { } single) return [single];
        var found = new List<OciDevice>();
        if (Directory.Exists(real))
        {
            var walk = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
            foreach (var entry in Directory.EnumerateFileSystemEntries(real, "*", walk).Order(StringComparer.Ordinal))
                if (Node(entry, pathInContainer + entry[real.Length..]) is { } node) found.Add(node);
        }
        if (found.Count == 0) Fail("not a device node");
        return found;
    }

    static OciDevice? Node(string path, string pathInContainer) => PosixFileInfo.DeviceNode(path) is { } d
        ? new OciDevice { Path = pathInContainer, Type = d.Type.ToString(), Major = d.Major, Minor = d.Minor, FileMode = d.Mode, Uid = d.Uid, Gid = d.Gid }
        : null;
}
