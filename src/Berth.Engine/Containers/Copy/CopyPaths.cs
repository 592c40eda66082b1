namespace Berth.Engine.Containers.Copy;

/// <summary>Docker's lexical path rules for <c>cp</c> (moby pkg/archive/copy.go): trailing separators, <c>/.</c>, dir/base splits.</summary>
public static class CopyPaths
{
    /// <summary>The path ends with a separator: it asserts a directory (and follows a final symlink).</summary>
    public static bool HasTrailingSeparator(string path) => path.Length > 0 && path[^1] == '/';

    /// <summary>The path ends with <c>/.</c> (or is <c>.</c>): copy a directory's contents rather than the directory.</summary>
    public static bool SpecifiesCurrentDir(string path) => path == "." || path.EndsWith("/.", StringComparison.Ordinal);

    /// <summary>Lexical clean as Go's filepath.Clean: no empty, <c>.</c> or resolvable <c>..</c> segments.</summary>
    public static string Clean(string path)
    {
        if (path.Length == 0) return ".";
        bool rooted = path[0] == '/';
        var parts = new List<string>();
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..")
            {
                if (parts.Count > 0 && parts[^1] != "..") parts.RemoveAt(parts.Count - 1);
                else if (!rooted) parts.Add("..");
                continue;
            }
            parts.Add(segment);
        }
        string joined = string.Join('/', parts);
        return rooted ? "/" + joined : joined.Length == 0 ? "." : joined;
    }

    /// <summary>Go's filepath.Base: the last element, ignoring trailing separators; "/" for the root.</summary>
    public static string Base(string path)
    {
        if (path.Length == 0) return ".";
        string trimmed = path.TrimEnd('/');
        if (trimmed.Length == 0) return "/";
        int slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    /// <summary>Docker's SplitPathDirEntry: directory and entry, keeping <c>.</c> as the entry of a <c>/.</c> path.</summary>
    public static (string Dir, string Base) SplitDirEntry(string path)
    {
        string cleaned = Clean(path);
        if (SpecifiesCurrentDir(path)) cleaned = cleaned == "/" ? "/." : cleaned + "/.";
        int slash = cleaned.LastIndexOf('/');
        if (slash < 0) return (".", cleaned);
        string dir = slash == 0 ? "/" : cleaned[..slash];
        return (dir, cleaned[(slash + 1)..]);
    }

    /// <summary>
    /// A container path made absolute and cleaned, keeping a trailing <c>/</c> or <c>/.</c> that the user wrote
    /// (Docker's PreserveTrailingDotOrSeparator).
    /// </summary>
    public static string AbsoluteInContainer(string path)
    {
        string clean = Clean("/" + path);
        if (SpecifiesCurrentDir(path) && !SpecifiesCurrentDir(clean)) return clean == "/" ? "/." : clean + "/.";
        if (HasTrailingSeparator(path) && !HasTrailingSeparator(clean)) return clean + "/";
        return clean;
    }

    /// <summary>
    /// The name a copied tree's top entry gets in the archive: the last element of what the user wrote,
    /// <c>.</c> for "contents of" paths and for the root.
    /// </summary>
    public static string ArchiveTopName(string path)
    {
        if (SpecifiesCurrentDir(path)) return ".";
        string name = Base(path);
        return name == "/" ? "." : name;
    }
}
