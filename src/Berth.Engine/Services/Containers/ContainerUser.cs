using System.Globalization;

namespace Berth.Engine.Services.Containers;

/// <summary>The uid, gid, supplementary groups and home directory a container process runs with.</summary>
public sealed record ContainerUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids, string Home)
{
    /// <summary>
    /// Resolves `--user`/USER ("name", "uid", "name:group", "uid:gid") against the root file system's /etc/passwd and
    /// /etc/group as Docker does (moby/sys/user): names must exist there, numbers need not; supplementary groups come from
    /// /etc/group membership; HOME from passwd, else "/".
    /// </summary>
    public static ContainerUser Resolve(string rootfs, string? spec)
    {
        var passwd = ReadEntries(rootfs, "/etc/passwd");
        var groups = ReadEntries(rootfs, "/etc/group");
        spec = string.IsNullOrEmpty(spec) ? "0" : spec;
        int colon = spec.IndexOf(':');
        string userPart = colon < 0 ? spec : spec[..colon];
        string? groupPart = colon < 0 ? null : spec[(colon + 1)..];

        string[]? entry = null;
        uint uid;
        if (uint.TryParse(userPart, NumberStyles.None, CultureInfo.InvariantCulture, out uid))
            entry = passwd.FirstOrDefault(e => e.Length >= 3 && e[2] == userPart);
        else
        {
            entry = passwd.FirstOrDefault(e => e[0] == userPart)
                ?? throw new ContainerStartException($"unable to find user {userPart}: no matching entries in passwd file", 125);
            uid = ParseId(entry, 2);
        }

        uint gid = entry is not null ? ParseId(entry, 3) : 0;
        if (groupPart is { Length: > 0 })
        {
            if (uint.TryParse(groupPart, NumberStyles.None, CultureInfo.InvariantCulture, out uint g)) gid = g;
            else
            {
                var group = groups.FirstOrDefault(e => e[0] == groupPart)
                    ?? throw new ContainerStartException($"unable to find group {groupPart}: no matching entries in group file", 125);
                gid = ParseId(group, 2);
            }
        }

        var extra = new List<uint>();
        if (entry is not null && groupPart is null)
            foreach (var g in groups)
                if (g.Length >= 4 && g[3].Split(',').Contains(entry[0]) && uint.TryParse(g[2], CultureInfo.InvariantCulture, out uint id) && id != gid && !extra.Contains(id))
                    extra.Add(id);
        string home = entry is { Length: >= 6 } && entry[5].Length > 0 ? entry[5] : "/";
        return new ContainerUser(uid, gid, extra, home);
    }

    static uint ParseId(string[] entry, int field) =>
        entry.Length > field && uint.TryParse(entry[field], NumberStyles.None, CultureInfo.InvariantCulture, out uint v) ? v : 0;

    static List<string[]> ReadEntries(string rootfs, string file)
    {
        string path = Berth.Engine.Containers.RootfsPath.Resolve(rootfs, file);
        var list = new List<string[]>();
        try
        {
            if (!File.Exists(path)) return list;
            using var reader = new StreamReader(path);
            int lines = 0;
            while (reader.ReadLine() is { } line && ++lines < 100_000)
            {
                if (line.Length == 0 || line.StartsWith('#')) continue;
                list.Add(line.Split(':'));
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return list;
    }
}

/// <summary>A container could not be started; the exit code is Docker's (125 setup, 126 not executable, 127 not found).</summary>
public sealed class ContainerStartException(string message, int exitCode) : BerthException(message)
{
    public override int ExitCode => exitCode;
}
