using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Berth.Engine.Dockerfile.Ignore;
using Berth.Engine.Layers.Native;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Build;

/// <summary>One file, directory or symlink of the build context that COPY/ADD may use.</summary>
/// <param name="Path">'/'-separated, relative to the context root.</param>
public sealed record ContextFile(string Path, bool IsDirectory);

/// <summary>
/// The build context read in place: the directory is walked once with the .dockerignore patterns compiled once,
/// and files are hashed (content, mode, type, link target; never mtimes or owners) at most once per build.
/// </summary>
public sealed class ContextFiles : ISourceTree
{
    readonly Dictionary<string, ContextFile> _entries = new(StringComparer.Ordinal);
    readonly List<ContextFile> _ordered = [];
    readonly Dictionary<string, string> _hashes = new(StringComparer.Ordinal);
    Metadata.MetadataStore? _metadata;
    Dictionary<string, (string Identity, string Hash)> _known = [];
    readonly List<(string Path, string Identity, string Hash)> _learned = [];

    /// <summary>The context directory on the host; null for a build without a context.</summary>
    public string? Root { get; }

    ContextFiles(string? root) => Root = root;

    /// <summary>No context (a Dockerfile on stdin): COPY and ADD of local files fail.</summary>
    public static ContextFiles None { get; } = new(null);

    /// <summary>Walks <paramref name="root"/> once, leaving out what <paramref name="ignorePatterns"/> exclude.</summary>
    public static ContextFiles Open(string root, IReadOnlyList<string> ignorePatterns, CancellationToken cancellationToken = default)
        => Open(root, ignorePatterns, null, cancellationToken);

    /// <summary>As <see cref="Open(string, IReadOnlyList{string}, CancellationToken)"/>, remembering file hashes in <paramref name="metadata"/> across builds.</summary>
    public static ContextFiles Open(string root, IReadOnlyList<string> ignorePatterns, Metadata.MetadataStore? metadata, CancellationToken cancellationToken = default)
    {
        var files = new ContextFiles(Path.GetFullPath(root)) { _metadata = metadata };
        if (metadata is not null) files._known = metadata.FileHashesUnder(files.Root!);
        var filter = new BuildContextFilter(ignorePatterns);
        foreach (var entry in filter.Walk(files.Root!, cancellationToken))
        {
            var file = new ContextFile(entry.Path, entry.IsDirectory);
            files._entries[entry.Path] = file;
            files._ordered.Add(file);
        }
        return files;
    }

    public int Count => _ordered.Count;

    public string HostPath(string relative) => relative.Length == 0 ? Root! : Root + "/" + relative;

    /// <summary>Whether the (cleaned, relative) path is in the context and not ignored; "" is the root.</summary>
    public bool Contains(string relative) => relative.Length == 0 ? Root is not null : _entries.ContainsKey(relative);

    public ContextFile? Get(string relative) => relative.Length == 0 ? (Root is null ? null : new ContextFile("", true)) : _entries.GetValueOrDefault(relative);

    /// <summary>Every included entry below the directory <paramref name="relative"/> (not itself), parents before children.</summary>
    public IEnumerable<ContextFile> Below(string relative)
    {
        if (relative.Length == 0) return _ordered;
        string prefix = relative + "/";
        return _ordered.Where(e => e.Path.StartsWith(prefix, StringComparison.Ordinal));
    }

    /// <summary>Paths matching a pattern with wildcards (Go filepath.Match per component), in walk order.</summary>
    public IEnumerable<ContextFile> Glob(string pattern)
    {
        var parts = pattern.Split('/');
        var regexes = parts.Select(ComponentRegex).ToArray();
        return _ordered.Where(e =>
        {
            var names = e.Path.Split('/');
            if (names.Length != regexes.Length) return false;
            for (int i = 0; i < names.Length; i++) if (!regexes[i].IsMatch(names[i])) return false;
            return true;
        });
    }

    internal static string Octal(uint mode) => Convert.ToString(mode, 8);

    public static bool HasWildcards(string path) => path.IndexOfAny(['*', '?', '[']) >= 0;

    internal static Regex ComponentRegex(string glob)
    {
        var sb = new StringBuilder("^");
        for (int i = 0; i < glob.Length; i++)
        {
            char c = glob[i];
            switch (c)
            {
                case '*': sb.Append("[^/]*"); break;
                case '?': sb.Append("[^/]"); break;
                case '\\' when i + 1 < glob.Length: sb.Append(Regex.Escape(glob[++i].ToString())); break;
                case '[':
                    int end = glob.IndexOf(']', i + 2);
                    if (end < 0) throw new BuildException($"syntax error in pattern: {glob}");
                    string body = glob[(i + 1)..end];
                    if (body.StartsWith('^')) body = "^" + body[1..].Replace("\\", "\\\\");
                    else body = body.Replace("\\", "\\\\");
                    sb.Append('[').Append(body).Append(']');
                    i = end;
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.CultureInvariant);
    }

    /// <summary>
    /// Digest of one entry's content and metadata: type, permission bits, link target or sha256 of the data.
    /// Mtimes and owners are left out: COPY sets the owner itself and a touched file is not a changed file.
    /// </summary>
    public string HashOf(string relative)
    {
        if (_hashes.TryGetValue(relative, out var cached)) return cached;
        string host = HostPath(relative);
        if (Lstat(AT_FDCWD, host, out var st) != 0) throw new BuildException($"file not found in build context: {relative}");
        string hash;
        uint mode = st.Mode & 0xFFFu;
        switch (st.FileType)
        {
            case S_IFDIR: hash = "dir " + Octal(mode); break;
            case S_IFLNK: hash = $"link {ReadLink(AT_FDCWD, host)}"; break;
            case S_IFREG:
                string? identity = _metadata is null ? null : FileIdentity.Of(host);
                if (identity is not null && _known.TryGetValue(host, out var known) && known.Identity == identity)
                {
                    hash = known.Hash;
                    break;
                }
                using (var stream = new FileStream(host, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.SequentialScan))
                    hash = "file " + Octal(mode) + $" {Convert.ToHexStringLower(SHA256.HashData(stream))}";
                // Remembered only when the identity read before hashing still holds after it.
                if (identity is not null && FileIdentity.Of(host) == identity) _learned.Add((host, identity, hash));
                break;
            default: hash = $"special {st.FileType:x} " + Octal(mode); break;
        }
        return _hashes[relative] = hash;
    }

    /// <summary>Stores the hashes computed in this build for the next one.</summary>
    public void SaveLearnedHashes()
    {
        if (_metadata is null || _learned.Count == 0) return;
        _metadata.SaveFileHashes(_learned);
        _learned.Clear();
    }
}
