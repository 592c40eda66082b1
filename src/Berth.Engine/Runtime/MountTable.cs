namespace Berth.Engine.Runtime;

/// <summary>This process's mount table (/proc/self/mountinfo), looked up by mount point.</summary>
public static class MountTable
{
    /// <summary>
    /// The file system type of the mount on top at <paramref name="path"/> (the last one the table lists there: a later mount
    /// covers the earlier ones), or null when nothing is mounted there.
    /// </summary>
    public static string? TopMountAt(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd('/');
        string? type = null;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // ID PARENT MAJ:MIN ROOT MOUNT-POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER-OPTIONS
                var fields = line.Split(' ');
                if (fields.Length <= 4 || Unescape(fields[4]) != full) continue;
                int separator = Array.IndexOf(fields, "-", 6);
                type = separator > 0 && separator + 1 < fields.Length ? fields[separator + 1] : "";
            }
        }
        catch (IOException) { }
        return type;
    }

    static string Unescape(string s) => s.Contains('\\') ? s.Replace("\\040", " ").Replace("\\011", "\t").Replace("\\012", "\n").Replace("\\134", "\\") : s;
}
