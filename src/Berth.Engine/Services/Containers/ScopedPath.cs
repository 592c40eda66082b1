namespace Berth.Engine.Services.Containers;

/// <summary>
/// Resolves a path inside a container's root file system as the container would see it: symlinks are followed
/// relative to the root and ".." never climbs above it (the idea of filepath-securejoin), so reading /etc/passwd
/// of a hostile image cannot reach the host's files.
/// </summary>
public static class ScopedPath
{
    public static string Resolve(string root, string path)
    {
        var stack = new List<string>();
        var pending = new Queue<string>(Split(path));
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Dequeue();
            if (part is "" or ".") continue;
            if (part == "..") { if (stack.Count > 0) stack.RemoveAt(stack.Count - 1); continue; }
            string candidate = Path.Combine(root, string.Join('/', stack.Append(part)));
            var info = new FileInfo(candidate);
            if (info.Exists || Directory.Exists(candidate) || info.LinkTarget is not null)
            {
                if (info.LinkTarget is { } target)
                {
                    if (++links > 255) throw new InvalidInputException($"too many levels of symbolic links in {path}");
                    if (target.StartsWith('/')) stack.Clear();
                    var rest = pending.ToList();
                    pending.Clear();
                    foreach (var p in Split(target).Concat(rest)) pending.Enqueue(p);
                    continue;
                }
            }
            stack.Add(part);
        }
        return stack.Count == 0 ? root : Path.Combine(root, string.Join('/', stack));
    }

    static string[] Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Creates a directory (and missing parents) inside the root; returns its host path.</summary>
    public static string CreateDirectory(string root, string path, UnixFileMode mode = (UnixFileMode)0x1ed /* 0755 */)
    {
        string current = "/";
        foreach (var part in Split(path))
        {
            current = current.TrimEnd('/') + "/" + part;
            string host = Resolve(root, current);
            if (!Directory.Exists(host))
            {
                if (File.Exists(host)) throw new InvalidInputException($"mkdir {current}: not a directory");
                Directory.CreateDirectory(host, mode);
            }
        }
        return Resolve(root, path);
    }
}
