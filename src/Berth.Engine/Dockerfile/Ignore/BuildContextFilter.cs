namespace Berth.Engine.Dockerfile.Ignore;

/// <summary>The build context could not be read (an unreadable entry that is not ignored).</summary>
public sealed class BuildContextException(string message, Exception? inner = null) : BerthException(message, inner ?? new IOException(message));

/// <summary>One entry of a context directory as the walker sees it.</summary>
public readonly record struct ContextDirectoryEntry(string Name, bool IsDirectory);

/// <summary>An included context entry: its '/'-separated path relative to the context root.</summary>
public readonly record struct ContextEntry(string Path, bool IsDirectory);

/// <summary>Reads context directories; the seam that lets tests inject unreadable directories.</summary>
public interface IContextFileSystem
{
    /// <summary>The entries of <paramref name="relativeDirectory"/> ("" is the root). Throws <see cref="UnauthorizedAccessException"/> when unreadable.</summary>
    IEnumerable<ContextDirectoryEntry> ReadDirectory(string relativeDirectory);
}

/// <summary>The real file system under a context root; symbolic links are reported as files and never followed.</summary>
public sealed class PhysicalContextFileSystem(string root) : IContextFileSystem
{
    public IEnumerable<ContextDirectoryEntry> ReadDirectory(string relativeDirectory)
    {
        var full = relativeDirectory.Length == 0 ? root : Path.Combine(root, relativeDirectory);
        var list = new List<ContextDirectoryEntry>();
        foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos())
        {
            var isLink = info.LinkTarget is not null;
            list.Add(new ContextDirectoryEntry(info.Name, !isLink && info is DirectoryInfo));
        }
        return list;
    }
}

/// <summary>
/// Applies <c>.dockerignore</c> patterns to a build context the way BuildKit's context transfer (tonistiigi/fsutil) does:
/// entries are matched with their parent's results, excluded directories are skipped without being read unless an
/// exception pattern could re-include something below them, and an excluded directory is still sent when one of its
/// descendants is re-included.
/// </summary>
public sealed class BuildContextFilter
{
    private readonly bool _onlyPrefixExceptions;
    private readonly string[] _exceptionPrefixes;

    /// <summary>Compiles <paramref name="excludePatterns"/> once; throws <see cref="IgnorePatternException"/> when one is malformed.</summary>
    public BuildContextFilter(IEnumerable<string> excludePatterns)
    {
        Matcher = new PatternMatcher(excludePatterns);
        var exceptions = Matcher.Patterns.Where(p => p.IsException).Select(WithoutTrailingGlob).ToArray();
        _onlyPrefixExceptions = exceptions.All(p => p.IndexOfAny(['*', '[', ']', '?', '^', '\\']) < 0);
        _exceptionPrefixes = exceptions.Select(p => p + "/").ToArray();
    }

    /// <summary>The compiled patterns.</summary>
    public PatternMatcher Matcher { get; }

    /// <summary>
    /// The patterns to use when sending the context (Docker CLI rule): the Dockerfile and <c>.dockerignore</c> still reach the
    /// builder even when they are ignored. COPY/ADD must use the plain patterns, so for them they stay excluded.
    /// </summary>
    public static IReadOnlyList<string> PatternsForTransfer(IReadOnlyList<string> patterns, string? dockerfileRelativePath)
    {
        var result = patterns.ToList();
        if (PatternMatcher.MatchesOrParentMatches(".dockerignore", patterns)) result.Add("!.dockerignore");
        if (dockerfileRelativePath is not null)
        {
            var dockerfile = dockerfileRelativePath.Replace('\\', '/');
            if (PatternMatcher.MatchesOrParentMatches(dockerfile, patterns)) result.Add("!" + dockerfile);
        }
        return result;
    }

    /// <summary>Filtered open: true when <paramref name="relativePath"/> is ignored and must be reported as not existing.</summary>
    public bool IsExcluded(string relativePath) => Matcher.MatchesOrParentMatches(relativePath);

    /// <summary>Walks the directory <paramref name="contextDirectory"/>; see <see cref="Walk(IContextFileSystem, CancellationToken)"/>.</summary>
    public IEnumerable<ContextEntry> Walk(string contextDirectory, CancellationToken cancellationToken = default)
        => Walk(new PhysicalContextFileSystem(contextDirectory), cancellationToken);

    /// <summary>
    /// Yields the included entries in Go <c>filepath.Walk</c> order (names sorted bytewise, each directory before its
    /// contents). Throws <see cref="BuildContextException"/> when a directory that is not ignored cannot be read.
    /// </summary>
    public IEnumerable<ContextEntry> Walk(IContextFileSystem fileSystem, CancellationToken cancellationToken = default)
    {
        var pending = new List<(string Path, bool Emitted)>();
        return WalkDirectory(fileSystem, "", MatchInfo.None, pending, Read(fileSystem, "", excluded: false)!, cancellationToken);
    }

    private IEnumerable<ContextEntry> WalkDirectory(IContextFileSystem fs, string directory, MatchInfo directoryInfo,
        List<(string Path, bool Emitted)> pending, List<ContextDirectoryEntry> entries, CancellationToken cancellationToken)
    {
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = directory.Length == 0 ? entry.Name : directory + "/" + entry.Name;
            var (excluded, info) = Matcher.Patterns.Count == 0 ? (false, MatchInfo.None) : Matcher.MatchesUsingParentResults(path, directoryInfo);

            if (excluded)
            {
                if (!entry.IsDirectory || !MayReincludeBelow(path)) continue;
                var children = Read(fs, path, excluded: true);
                if (children is null) continue;
                pending.Add((path, false));
                foreach (var e in WalkDirectory(fs, path, info, pending, children, cancellationToken)) yield return e;
                pending.RemoveAt(pending.Count - 1);
                continue;
            }

            // An excluded ancestor is sent once, just before its first re-included descendant.
            for (var i = 0; i < pending.Count; i++)
            {
                if (pending[i].Emitted) continue;
                pending[i] = (pending[i].Path, true);
                yield return new ContextEntry(pending[i].Path, true);
            }
            yield return new ContextEntry(path, entry.IsDirectory);
            if (!entry.IsDirectory) continue;

            var inner = Read(fs, path, excluded: false);
            if (inner is null) continue;
            pending.Add((path, true));
            foreach (var e in WalkDirectory(fs, path, info, pending, inner, cancellationToken)) yield return e;
            pending.RemoveAt(pending.Count - 1);
        }
    }

    // fsutil's pruning: only when every exception is a plain path (after dropping "/**" or "/*") can we tell which
    // excluded directories hold nothing to re-include.
    private bool MayReincludeBelow(string directory)
    {
        if (!_onlyPrefixExceptions) return true;
        if (!Matcher.HasExceptions) return false;
        var withSlash = directory + "/";
        return _exceptionPrefixes.Any(p => p.StartsWith(withSlash, StringComparison.Ordinal));
    }

    private static List<ContextDirectoryEntry>? Read(IContextFileSystem fs, string directory, bool excluded)
    {
        try
        {
            var list = fs.ReadDirectory(directory).ToList();
            list.Sort((a, b) => Utf8Order(a.Name, b.Name));
            return list;
        }
        catch (UnauthorizedAccessException e)
        {
            if (excluded) return null; // permission errors inside ignored directories do not matter
            throw new BuildContextException($"open {(directory.Length == 0 ? "." : directory)}: permission denied", e);
        }
        catch (DirectoryNotFoundException)
        {
            return null; // vanished while walking
        }
    }

    private static string WithoutTrailingGlob(IgnorePattern p)
    {
        var s = p.Text;
        if (s.EndsWith("/**", StringComparison.Ordinal)) s = s[..^3];
        if (s.EndsWith("/*", StringComparison.Ordinal)) s = s[..^2];
        return s;
    }

    // Go sorts names by their UTF-8 bytes, which is code-point order (UTF-16 ordinal differs only around surrogates).
    private static int Utf8Order(string a, string b)
    {
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var ha = ea.MoveNext();
            var hb = eb.MoveNext();
            if (!ha || !hb) return ha.CompareTo(hb);
            var c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0) return c;
        }
    }
}
