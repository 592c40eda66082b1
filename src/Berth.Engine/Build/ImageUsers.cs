using Berth.Engine.Containers;
namespace Berth.Engine.Build;

/// <summary>A numeric owner a user name resolved to, with the supplementary groups RUN gets.</summary>
public sealed record ResolvedUser(uint Uid, uint Gid, IReadOnlyList<uint> AdditionalGids);

/// <summary>
/// Users and groups of an image, read from its own <c>/etc/passwd</c> and <c>/etc/group</c> (resolved inside the root
/// file system, so a symlinked passwd file cannot point at the host's): resolves <c>COPY --chown</c> and <c>USER</c>.
/// </summary>
public sealed class ImageUsers
{
    readonly List<(string Name, uint Uid, uint Gid)> _users = [];
    readonly List<(string Name, uint Gid, string[] Members)> _groups = [];

    ImageUsers() { }

    /// <summary>Reads the databases of the root file system at <paramref name="rootfs"/>; missing files are empty.</summary>
    public static ImageUsers Load(string rootfs)
    {
        var users = new ImageUsers();
        foreach (var fields in ReadLines(rootfs, "/etc/passwd"))
            if (fields.Length >= 4 && uint.TryParse(fields[2], out var uid) && uint.TryParse(fields[3], out var gid))
                users._users.Add((fields[0], uid, gid));
        foreach (var fields in ReadLines(rootfs, "/etc/group"))
            if (fields.Length >= 3 && uint.TryParse(fields[2], out var gid))
                users._groups.Add((fields[0], gid, fields.Length > 3 ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries) : []));
        return users;
    }

    static IEnumerable<string[]> ReadLines(string rootfs, string path)
    {
        string host = RootfsPath.Resolve(rootfs, path);
        if (!File.Exists(host)) yield break;
        var info = new FileInfo(host);
        if (info.Length > 16 << 20) throw new BuildException($"{path} of the image is larger than 16 MiB");
        foreach (var line in File.ReadLines(host))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            yield return line.Split(':');
        }
    }

    /// <summary><c>--chown=user[:group]</c>: names from the image, numbers as they are; a user alone uses the group of the same name, else its primary group (BuildKit).</summary>
    public (uint Uid, uint Gid) ResolveChown(string spec)
    {
        int colon = spec.IndexOf(':');
        string user = colon < 0 ? spec : spec[..colon];
        string? group = colon < 0 ? null : spec[(colon + 1)..];
        uint uid;
        uint? primary = null;
        if (uint.TryParse(user, out var numeric)) uid = numeric;
        else
        {
            var entry = _users.FirstOrDefault(u => u.Name == user);
            if (entry.Name is null) throw new BuildException($"unable to find user {user}: no matching entries in the image's /etc/passwd (--chown={spec})");
            uid = entry.Uid;
            primary = entry.Gid;
        }
        if (group is null)
        {
            if (primary is null) return (uid, uid);
            var same = _groups.FirstOrDefault(g => g.Name == user);
            return (uid, same.Name is null ? primary.Value : same.Gid);
        }
        return (uid, ResolveGroup(group, spec));
    }

    uint ResolveGroup(string group, string spec)
    {
        if (uint.TryParse(group, out var gid)) return gid;
        var entry = _groups.FirstOrDefault(g => g.Name == group);
        if (entry.Name is null) throw new BuildException($"unable to find group {group}: no matching entries in the image's /etc/group ({spec})");
        return entry.Gid;
    }

    /// <summary><c>USER name[:group]</c> for RUN: empty is root; a name must exist; supplementary groups from /etc/group.</summary>
    public ResolvedUser ResolveUser(string spec)
    {
        if (spec.Length == 0) return new ResolvedUser(0, 0, []);
        int colon = spec.IndexOf(':');
        string user = colon < 0 ? spec : spec[..colon];
        string? group = colon < 0 ? null : spec[(colon + 1)..];
        uint uid, gid = 0;
        string? name = null;
        if (uint.TryParse(user, out var numeric))
        {
            uid = numeric;
            var entry = _users.FirstOrDefault(u => u.Uid == numeric);
            if (entry.Name is not null) { gid = entry.Gid; name = entry.Name; }
        }
        else
        {
            var entry = _users.FirstOrDefault(u => u.Name == user);
            if (entry.Name is null) throw new BuildException($"unable to find user {user}: no matching entries in passwd file");
            (uid, gid, name) = (entry.Uid, entry.Gid, entry.Name);
        }
        if (group is not null) gid = ResolveGroup(group, "USER " + spec);
        var extra = name is null || group is not null ? [] : _groups.Where(g => g.Members.Contains(name) && g.Gid != gid).Select(g => g.Gid).Distinct().ToList();
        return new ResolvedUser(uid, gid, extra);
    }
}
