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
    /// The device nodes at <paramref name="paths"/> (through symlinks, as /dev/disk/by-id/… are), found among
    /// <see cref="All"/> (read once, and only when there is a path); Docker's error for a path that is none.
    /// </summary>
    public static IReadOnlyList<OciDevice> Find(IReadOnlyList<string> paths)
    {
        if (paths.Count == 0) return [];
        var nodes = All();
        return [.. paths.Select(path =>
        {
            string Fail(string why) => throw new InvalidInputException($"error gathering device information while adding custom device \"{path}\": {why}");
            if (!Path.Exists(path)) Fail("no such file or directory");
            string real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
            return nodes.FirstOrDefault(d => d.Path == real) ?? throw new InvalidInputException(
                $"error gathering device information while adding custom device \"{path}\": not a device node");
        })];
    }
}
