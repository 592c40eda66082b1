using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Build;

/// <summary>Where COPY/ADD read files from: the build context, or the root file system of a stage or image (<c>--from</c>).</summary>
public interface ISourceTree
{
    /// <summary>The tree's root on the host; null when there is none (no context).</summary>
    string? Root { get; }
    /// <summary>The entry at a cleaned relative path ("" = root), or null when missing or ignored.</summary>
    ContextFile? Get(string relative);
    /// <summary>Every entry below a directory, parents before children, names in ordinal order.</summary>
    IEnumerable<ContextFile> Below(string relative);
    /// <summary>Entries matching a wildcard pattern.</summary>
    IEnumerable<ContextFile> Glob(string pattern);
    string HostPath(string relative);
}

/// <summary>A plain directory tree (a stage's or image's mounted root file system), enumerated on demand; nothing is ignored.</summary>
public sealed class DirectorySourceTree(string root) : ISourceTree
{
    public string? Root { get; } = root.TrimEnd('/');

    public string HostPath(string relative) => relative.Length == 0 ? Root! : Root + "/" + relative;

    public ContextFile? Get(string relative)
    {
        if (relative.Length == 0) return new ContextFile("", true);
        if (Lstat(AT_FDCWD, HostPath(relative), out var st) != 0) return null;
        return new ContextFile(relative, st.IsDirectory);
    }

    public IEnumerable<ContextFile> Below(string relative)
    {
        foreach (var name in Layers.LayerDiffer.SortedChildren(HostPath(relative)))
        {
            string path = relative.Length == 0 ? name : relative + "/" + name;
            var entry = Get(path);
            if (entry is null) continue;
            yield return entry;
            if (entry.IsDirectory) foreach (var e in Below(path)) yield return e;
        }
    }

    public IEnumerable<ContextFile> Glob(string pattern)
    {
        var parts = pattern.Split('/');
        IEnumerable<string> current = [""];
        foreach (var part in parts)
        {
            var regex = ContextFiles.ComponentRegex(part);
            current = current.SelectMany(dir =>
            {
                string host = HostPath(dir);
                if (!Directory.Exists(host)) return [];
                return Layers.LayerDiffer.SortedChildren(host).Where(n => regex.IsMatch(n)).Select(n => dir.Length == 0 ? n : dir + "/" + n);
            }).ToList();
        }
        return current.Select(Get).OfType<ContextFile>().ToList();
    }
}

/// <summary>
/// <c>COPY --exclude=PATTERN</c>: a tree without the entries the patterns match (.dockerignore syntax). Below a copied
/// directory the patterns match paths relative to that directory, as BuildKit applies them to each source.
/// </summary>
public sealed class ExcludingSourceTree(ISourceTree inner, IReadOnlyList<string> patterns) : ISourceTree
{
    readonly Dockerfile.Ignore.PatternMatcher _matcher = new(patterns);

    public ISourceTree Inner => inner;
    public string? Root => inner.Root;
    public string HostPath(string relative) => inner.HostPath(relative);

    bool Excluded(string path) => path.Length > 0 && _matcher.MatchesOrParentMatches(path);

    public ContextFile? Get(string relative) => Excluded(relative) ? null : inner.Get(relative);
    public IEnumerable<ContextFile> Below(string relative)
    {
        int skip = relative.Length == 0 ? 0 : relative.Length + 1;
        return inner.Below(relative).Where(e => !Excluded(e.Path[skip..]));
    }
    public IEnumerable<ContextFile> Glob(string pattern) => inner.Glob(pattern).Where(e => !Excluded(e.Path));
}
