using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Berth.Engine.Dockerfile.Ignore;
using Berth.Engine.Layers.Native;
using Microsoft.Win32.SafeHandles;
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
    readonly ConcurrentDictionary<string, string> _hashes = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, string> _legacySums = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, bool> _multiLinked = new(StringComparer.Ordinal);
    Dictionary<(uint, uint, ulong), string>? _firstLinked;
    BuildContextFilter? _filter;
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
        if (ignorePatterns.Count > 0) files._filter = filter;
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
    /// <remarks>
    /// A regular file's digest is taken from the store without reading the file when its stat identity (device, inode,
    /// mode, size, mtime, ctime) is the one recorded with it; see <see cref="FileIdentity"/> for why that cannot miss a change.
    /// </remarks>
    public string HashOf(string relative)
    {
        if (_hashes.TryGetValue(relative, out var cached)) return cached;
        string host = HostPath(relative);
        string? identity = FileIdentity.Of(host, out uint stMode, out ulong size, out uint links);
        if (stMode == 0) throw new BuildException($"file not found in build context: {relative}");
        string hash;
        uint mode = stMode & 0xFFFu;
        if (links > 1 && (stMode & S_IFMT) != S_IFDIR) _multiLinked[relative] = true;
        switch (stMode & S_IFMT)
        {
            case S_IFDIR: hash = "dir " + Octal(mode); break;
            case S_IFLNK: hash = $"link {ReadLink(AT_FDCWD, host)}"; break;
            case S_IFREG:
                if (_metadata is null) identity = null;
                if (identity is not null && _known.TryGetValue(host, out var known) && known.Identity == identity)
                {
                    // Stored as "hash" or "hash\nname\nlegacy sum" (the legacy sum holds only for the name it was taken under).
                    int end = known.Hash.IndexOf('\n');
                    if (end < 0) hash = known.Hash;
                    else
                    {
                        hash = known.Hash[..end];
                        int nameEnd = known.Hash.IndexOf('\n', end + 1);
                        if (nameEnd > 0 && known.Hash.AsSpan(end + 1, nameEnd - end - 1).SequenceEqual(relative))
                            _legacySums[relative] = known.Hash[(nameEnd + 1)..];
                    }
                    break;
                }
                // One read gives both the content digest and Docker's legacy sum (its header first, then the same data).
                byte[] header = LegacyHeader(relative, stMode, (long)size, host);
                var (content, legacy) = ContentDigests(host, header);
                hash = "file " + Octal(mode) + " " + content;
                _legacySums[relative] = legacy;
                // Remembered only when the identity read before hashing still holds after it.
                if (identity is not null && FileIdentity.Of(host) == identity)
                    lock (_learned) _learned.Add((host, identity, hash + "\n" + relative + "\n" + legacy));
                break;
            default: hash = $"special {stMode & S_IFMT:x} " + Octal(mode); break;
        }
        return _hashes[relative] = hash;
    }

    /// <summary>
    /// Docker 20.10's legacy sum of an entry as its builder finds it in the context archive the docker CLI sends: a tarsum v1
    /// entry with owner 0:0 and no user names (see <see cref="LegacySourceHash"/>). A symlink gives its target's sum, or its own
    /// path when the target is not in the context.
    /// </summary>
    public string LegacyHashOf(string relative)
    {
        string written = relative;
        string hash = HashOf(relative);
        if (hash.StartsWith("link ", StringComparison.Ordinal))
        {
            string resolved = Containers.RootfsPath.Resolve(Root!, "/" + relative);
            string target = resolved.Length <= Root!.Length ? "" : resolved[(Root.Length + 1)..];
            if (target.Length == 0 || !_entries.ContainsKey(target)) return relative;
            relative = target;
            hash = HashOf(relative);
            if (hash.StartsWith("link ", StringComparison.Ordinal)) return relative;
        }
        // An excluded directory walked only for a re-included descendant is not in the docker CLI's archive: no sum, its path.
        if (_filter is not null && hash.StartsWith("dir ", StringComparison.Ordinal) && _filter.IsExcluded(relative)) return written;
        if (_multiLinked.ContainsKey(relative) && HardLinkedTo(relative) is { } first)
            return _legacySums.GetOrAdd("\0hardlink:" + relative, _ => HardLinkSum(relative, first));
        if (_legacySums.TryGetValue(relative, out var sum)) return sum;
        string host = HostPath(relative);
        string? identity = FileIdentity.Of(host, out uint stMode, out ulong size);
        if (stMode == 0) throw new BuildException($"file not found in build context: {relative}");
        byte[] header = LegacyHeader(relative, stMode, (stMode & S_IFMT) == S_IFREG ? (long)size : 0, host);
        if ((stMode & S_IFMT) == S_IFREG && size > 0)
        {
            sum = LegacySourceHash.SumOfFile(header, host);
            if (_metadata is not null && identity is not null && FileIdentity.Of(host) == identity)
                lock (_learned) _learned.Add((host, identity, hash + "\n" + relative + "\n" + sum));
        }
        else sum = LegacySourceHash.Sum(header);
        return _legacySums[relative] = sum;
    }

    /// <summary>
    /// The path a hard-linked entry was first seen under in the docker CLI's walk of the context (Go's filepath.Walk order,
    /// as <see cref="_ordered"/>), or null when it is that first one: the CLI sends later ones as link entries.
    /// </summary>
    string? HardLinkedTo(string relative)
    {
        lock (_ordered)
        {
            if (_firstLinked is null)
            {
                _firstLinked = [];
                foreach (var e in _ordered)
                    if (!e.IsDirectory && Lstat(AT_FDCWD, HostPath(e.Path), out var st) == 0 && st.Nlink > 1)
                        _firstLinked.TryAdd((st.DevMajor, st.DevMinor, st.Inode), e.Path);
            }
            if (Lstat(AT_FDCWD, HostPath(relative), out var own) != 0) return null;
            return _firstLinked.TryGetValue((own.DevMajor, own.DevMinor, own.Inode), out var first) && first != relative ? first : null;
        }
    }

    /// <summary>A hard link entry's sum: its header (type '1', the first path as link name, size 0) and no data.</summary>
    string HardLinkSum(string relative, string first)
    {
        string host = HostPath(relative);
        if (Lstat(AT_FDCWD, host, out var st) != 0) throw new BuildException($"file not found in build context: {relative}");
        return LegacySourceHash.Sum(LegacySourceHash.Header(relative, st.Mode, 0, 0, 0, first, "", "", 0, 0, LegacySourceHash.Capability(host), '1'));
    }

    /// <summary>The header the docker CLI writes for a context entry (owner 0:0), as the tarsum reads it.</summary>
    static byte[] LegacyHeader(string relative, uint stMode, long size, string host)
    {
        uint type = stMode & S_IFMT;
        string name = type == S_IFDIR ? relative + "/" : relative;
        string link = type == S_IFLNK ? ReadLink(AT_FDCWD, host) : "";
        long major = 0, minor = 0;
        if (type is S_IFCHR or S_IFBLK && Lstat(AT_FDCWD, host, out var st) == 0) (major, minor) = (st.RdevMajor, st.RdevMinor);
        return LegacySourceHash.Header(name, stMode, 0, 0, size, link, "", "", major, minor, LegacySourceHash.Capability(host));
    }

    /// <summary>Hashes the given entries ahead of <see cref="HashOf"/>, on every core (a large COPY reads its sources once, in parallel).</summary>
    public void HashAhead(IEnumerable<ContextFile> entries, CancellationToken cancellationToken)
    {
        var pending = entries.Where(e => !e.IsDirectory && !_hashes.ContainsKey(e.Path)).ToList();
        if (pending.Count < 64) return;
        try
        {
            Parallel.ForEach(pending, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
                e => HashOf(e.Path));
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
        }
    }

    /// <summary>
    /// sha256 of a file's data and sha256 of <paramref name="header"/> followed by the data, from one read without .NET's
    /// advisory lock (one syscall fewer each way per file).
    /// </summary>
    static (string Content, string WithHeader) ContentDigests(string host, byte[] header)
    {
        int fd = OpenAt(AT_FDCWD, host, O_RDONLY | O_NOFOLLOW);
        if (fd < 0) throw new BuildException($"cannot read build context file {host}: {Marshal.GetPInvokeErrorMessage(-fd)}");
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int chunk = buffer.Length - header.Length;
            // The header sits right before the data, so a small file's two digests are two one-shot hashes of one buffer.
            int h = header.Length;
            header.CopyTo(buffer, 0);
            int n = RandomAccess.Read(handle, buffer.AsSpan(h, chunk), 0);
            if (n < chunk)
                return (Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(h, n))), Convert.ToHexStringLower(SHA256.HashData(buffer.AsSpan(0, h + n))));
            using var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var withHeader = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            withHeader.AppendData(buffer, 0, h);
            long offset = 0;
            while (n > 0)
            {
                content.AppendData(buffer, h, n);
                withHeader.AppendData(buffer, h, n);
                offset += n;
                n = RandomAccess.Read(handle, buffer.AsSpan(h, chunk), offset);
            }
            return (Convert.ToHexStringLower(content.GetHashAndReset()), Convert.ToHexStringLower(withHeader.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Stores the hashes computed in this build for the next one.</summary>
    public void SaveLearnedHashes()
    {
        lock (_learned)
        {
            if (_metadata is null || _learned.Count == 0) return;
            _metadata.SaveFileHashes(_learned);
            _learned.Clear();
        }
    }
}
