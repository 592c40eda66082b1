namespace Berth.Engine.Runtime;

/// <summary>A mount table in /proc/PID/mountinfo's format, read by mount point and file system type.</summary>
public static class MountTable
{
    /// <summary>
    /// The file system type of the mount on top at <paramref name="path"/> in this process's table (the last one listed
    /// there: a later mount covers the earlier ones), or null when nothing is mounted there.
    /// </summary>
    public static string? TopMountAt(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string? type = null;
        try
        {
            foreach (var (mountPoint, fileSystemType) in Entries(File.ReadLines("/proc/self/mountinfo")))
                if (mountPoint == full) type = fileSystemType;
        }
        catch (IOException) { }
        return type;
    }

    /// <summary>Each line's mount point (unescaped) and file system type, in the table's order; malformed lines are skipped.</summary>
    public static IEnumerable<(string MountPoint, string Type)> Entries(IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            // ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS
            int dash = line.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0) continue;
            var before = line[..dash].Split(' ');
            if (before.Length < 5) continue;
            yield return (Unescape(before[4]), line[(dash + 3)..].Split(' ')[0]);
        }
    }

    static string Unescape(string s) => s.Contains('\\') ? s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\") : s;
}
