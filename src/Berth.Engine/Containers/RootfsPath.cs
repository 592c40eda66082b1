using Berth.Engine.Layers.Native;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers;

/// <summary>
/// Resolves a path inside a root file system the way the container would see it: symbolic links are followed
/// relative to the root and <c>..</c> stops at the root, so no path ever leads outside it (as Go's securejoin).
/// Used wherever Berth reads or writes inside an image or container root by path: the builder's COPY/WORKDIR,
/// the container setup (USER lookup, WORKDIR, volume seeding).
/// </summary>
public static class RootfsPath
{
    const int MaxLinks = 40;

    /// <summary>
    /// The host path of <paramref name="path"/> (absolute in the container) under <paramref name="root"/>. Every symlink
    /// on the way is followed inside the root; the last component too unless <paramref name="followFinal"/> is false.
    /// Components that do not exist are kept as they are.
    /// </summary>
    public static string Resolve(string root, string path, bool followFinal = true)
    {
        root = root.TrimEnd('/');
        var resolved = new List<string>();
        var pending = new Stack<string>(Split(path).Reverse());
        int links = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == "." || part.Length == 0) continue;
            if (part == "..") { if (resolved.Count > 0) resolved.RemoveAt(resolved.Count - 1); continue; }
            string host = root + "/" + string.Join('/', resolved.Append(part));
            bool isLast = pending.Count == 0;
            if ((!isLast || followFinal) && Lstat(AT_FDCWD, host, out var st) == 0 && st.FileType == S_IFLNK)
            {
                if (++links > MaxLinks) throw new InvalidInputException($"too many levels of symbolic links resolving {path}");
                string target = ReadLink(AT_FDCWD, host);
                if (target.StartsWith('/')) resolved.Clear();
                foreach (var p in Split(target).Reverse()) pending.Push(p);
                continue;
            }
            resolved.Add(part);
        }
        return resolved.Count == 0 ? root : root + "/" + string.Join('/', resolved);
    }

    /// <summary>Whether <paramref name="path"/> (resolved in the root) exists as a directory.</summary>
    public static bool IsDirectory(string root, string path) =>
        Lstat(AT_FDCWD, Resolve(root, path), out var st) == 0 && st.IsDirectory;

    /// <summary>Creates a directory (and missing parents) inside the root, each resolved in the root; returns its host path.</summary>
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

    static IEnumerable<string> Split(string path) => path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Cleans a container path (Go's path.Clean of an absolute path).</summary>
    public static string Clean(string path)
    {
        var parts = new List<string>();
        foreach (var part in Split(path))
        {
            if (part == ".") continue;
            if (part == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); continue; }
            parts.Add(part);
        }
        return "/" + string.Join('/', parts);
    }
}
