using System.Text;
using Berth.Engine.Layers.Native;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Layers;

/// <summary>
/// Unpacks an uncompressed OCI layer tar into a directory, computing its diffID in the same pass.
/// </summary>
/// <remarks>
/// Safety rules: names are normalised lexically; a leading <c>/</c> is dropped (as Docker, containerd and GNU tar
/// do) but any <c>..</c> that climbs above the root is refused, as are empty names and names with NUL. Parent
/// directories are opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) and everything is created relative
/// to that fd, so a symlink in the layer (or already in the target tree) is never followed while writing: an entry
/// whose path goes through a symlink is refused (stricter than Docker, which follows it inside a chroot; layers
/// produced by a diff never contain such paths). Hardlink targets must be inside the root and already present.
/// <c>trusted.overlay.*</c> xattrs in the archive are dropped so a layer cannot forge overlayfs metadata.
/// On failure the partially written root is left as it is: callers extract into a temporary directory and delete it.
/// </remarks>
public static class LayerApplier
{
    private const string WhiteoutPrefix = ".wh.";
    private const string WhiteoutMetaPrefix = ".wh..wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    public static async Task<LayerApplyResult> ApplyAsync(Stream tar, string rootDir, LayerApplyOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tar);
        options ??= LayerApplyOptions.Overlay;
        Directory.CreateDirectory(rootDir);
        using var session = new Session(rootDir, options);
        using var reader = new LayerTarReader(tar, options.BufferSize);
        int entries = 0;
        while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } header)
        {
            entries++;
            await session.ApplyEntryAsync(header, reader, cancellationToken).ConfigureAwait(false);
        }
        await reader.DrainAsync(cancellationToken).ConfigureAwait(false);
        session.RestoreDirectoryTimes();
        return new LayerApplyResult(reader.GetDigest(), reader.BytesRead, entries, session.SkippedXattrs);
    }

    /// <summary>Lexically normalises a tar entry name to a root-relative path ("" for the root itself).</summary>
    internal static string NormalizeName(string name, string entryForMessage, string what = "entry")
    {
        if (name.Length == 0)
            throw new LayerFormatException($"layer tar has an {what} with an empty name");
        if (name.Contains('\0'))
            throw new LayerFormatException($"layer tar {what} {LayerTarReader.Quote(entryForMessage)} has a NUL byte in its name");
        var parts = new List<string>();
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..")
            {
                if (parts.Count == 0)
                    throw new LayerFormatException(what == "entry"
                        ? $"layer tar entry {LayerTarReader.Quote(entryForMessage)} would be written outside the layer root"
                        : $"layer tar entry {LayerTarReader.Quote(entryForMessage)} is a hardlink to {LayerTarReader.Quote(name)}, outside the layer root");
                parts.RemoveAt(parts.Count - 1);
            }
            else parts.Add(segment);
        }
        return string.Join('/', parts);
    }

    private static (string Parent, string Base) Split(string rel)
    {
        int slash = rel.LastIndexOf('/');
        return slash < 0 ? ("", rel) : (rel[..slash], rel[(slash + 1)..]);
    }

    /// <summary>State of one application: the root fd, a one-entry parent-dir cache, deferred directory times.</summary>
    private sealed class Session : IDisposable
    {
        private readonly LayerApplyOptions _options;
        private readonly int _rootFd;
        private readonly List<(string Rel, long Seconds, long Nanos)> _directoryTimes = [];
        private readonly HashSet<string>? _written; // flat mode: paths this layer created, which an opaque marker keeps
        private string? _cachedParent;
        private int _cachedFd = -1;
        private string _entry = "";

        public int SkippedXattrs { get; private set; }

        public Session(string rootDir, LayerApplyOptions options)
        {
            _options = options;
            _rootFd = OpenAt(AT_FDCWD, rootDir, O_PATH | O_DIRECTORY);
            if (_rootFd < 0) throw Error(-_rootFd, $"open {rootDir}");
            if (options.WhiteoutMode == WhiteoutMode.Flat) _written = new(StringComparer.Ordinal);
        }

        public void Dispose()
        {
            DropCache();
            Close(_rootFd);
        }

        public async ValueTask ApplyEntryAsync(TarEntryHeader header, LayerTarReader reader, CancellationToken cancellationToken)
        {
            _entry = header.Name;
            string rel = NormalizeName(header.Name, header.Name);
            try
            {
                if (rel.Length == 0)
                {
                    if (header.Type != TarEntryHeader.TypeDirectory)
                        throw new LayerFormatException($"layer tar entry {Q(header.Name)} is a {header.TypeDescription} at the layer root");
                    ApplyMetadata(_rootFd, ".", header, isSymlink: false);
                    _directoryTimes.Add(("", header.MtimeSeconds, header.MtimeNanoseconds));
                    return;
                }
                var (parentRel, name) = Split(rel);
                if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
                {
                    ApplyWhiteout(header, parentRel, name);
                    return;
                }
                await CreateEntryAsync(header, rel, parentRel, name, reader, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new BerthException($"cannot apply layer tar entry {Q(header.Name)}: {e.Message}", e);
            }
        }

        private async ValueTask CreateEntryAsync(TarEntryHeader header, string rel, string parentRel, string name,
            LayerTarReader reader, CancellationToken cancellationToken)
        {
            bool isDirectory = header.Type == TarEntryHeader.TypeDirectory;
            if (!header.IsRegularFile && !isDirectory && header.Type is not (TarEntryHeader.TypeSymlink or TarEntryHeader.TypeHardLink
                    or TarEntryHeader.TypeCharDevice or TarEntryHeader.TypeBlockDevice or TarEntryHeader.TypeFifo))
                throw new LayerFormatException($"layer tar entry {Q(header.Name)} has unsupported type '{(char)header.Type}'");
            if (header.Type is TarEntryHeader.TypeCharDevice or TarEntryHeader.TypeBlockDevice && !_options.AllowDeviceNodes)
                throw new LayerFormatException($"layer tar entry {Q(header.Name)} is a {header.TypeDescription}, which is not allowed here");

            int parentFd = ParentFd(parentRel, create: true)!.Value;
            bool exists = Lstat(parentFd, name, out var existing) == 0;
            if (exists && !(isDirectory && existing.IsDirectory))
            {
                Remove(parentFd, name, existing.IsDirectory);
                exists = false;
                parentFd = ParentFd(parentRel, create: true)!.Value;
            }
            _written?.Add(rel);

            switch (header.Type)
            {
                case TarEntryHeader.TypeDirectory:
                    if (!exists) Check(MkdirAt(parentFd, name, 0x1C0 /* 0700 */), "mkdir");
                    ApplyMetadata(parentFd, name, header, isSymlink: false);
                    _directoryTimes.Add((rel, header.MtimeSeconds, header.MtimeNanoseconds));
                    break;
                case TarEntryHeader.TypeSymlink:
                    Check(SymlinkAt(header.LinkName, parentFd, name), "symlink");
                    ApplyMetadata(parentFd, name, header, isSymlink: true);
                    break;
                case TarEntryHeader.TypeHardLink:
                    CreateHardlink(header, rel, parentFd, name);
                    break;
                case TarEntryHeader.TypeCharDevice:
                case TarEntryHeader.TypeBlockDevice:
                case TarEntryHeader.TypeFifo:
                    uint kind = header.Type switch
                    {
                        TarEntryHeader.TypeCharDevice => S_IFCHR,
                        TarEntryHeader.TypeBlockDevice => S_IFBLK,
                        _ => S_IFIFO,
                    };
                    Check(MknodAt(parentFd, name, kind | (header.Mode & 0x1FF), header.DevMajor, header.DevMinor), "mknod");
                    ApplyMetadata(parentFd, name, header, isSymlink: false);
                    break;
                default:
                    await WriteFileAsync(header, parentFd, name, reader, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        private async ValueTask WriteFileAsync(TarEntryHeader header, int parentFd, string name, LayerTarReader reader,
            CancellationToken cancellationToken)
        {
            int fd = OpenAt(parentFd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0x180 /* 0600 */);
            if (fd < 0) throw Error(-fd, "create");
            using var handle = new SafeFileHandle(fd, ownsHandle: true);
            long offset = 0;
            while (true)
            {
                var chunk = await reader.ReadDataAsync(cancellationToken).ConfigureAwait(false);
                if (chunk.IsEmpty) break;
                RandomAccess.Write(handle, chunk.Span, offset);
                offset += chunk.Length;
            }
            if (_options.PreserveOwnership) Check(Fchown(fd, Uid(header), Gid(header)), "chown");
            Check(Fchmod(fd, header.Mode & 0xFFF), "chmod");
            SetXattrs(header, (name, value) => Fsetxattr(fd, name, value));
            Check(Futimes(fd, header.MtimeSeconds, header.MtimeNanoseconds), "utimes");
        }

        private void CreateHardlink(TarEntryHeader header, string rel, int parentFd, string name)
        {
            if (header.LinkName.Length == 0)
                throw new LayerFormatException($"layer tar entry {Q(header.Name)} is a hardlink with an empty target");
            string target = NormalizeName(header.LinkName, header.Name, "hardlink");
            var (targetParent, targetName) = Split(target);
            int? targetParentFd = target.Length == 0 ? null : OpenDirectory(targetParent);
            if (targetParentFd is not { } tfd || Lstat(tfd, targetName, out var st) != 0 || st.IsDirectory || target == rel)
            {
                if (targetParentFd is { } fd0 && fd0 != _rootFd) Close(fd0);
                throw new LayerFormatException(
                    $"layer tar entry {Q(header.Name)} is a hardlink to {Q(header.LinkName)}, which is not a file already in the layer");
            }
            try { Check(LinkAt(tfd, targetName, parentFd, name), "link"); }
            finally { if (tfd != _rootFd) Close(tfd); }
        }

        private void ApplyWhiteout(TarEntryHeader header, string parentRel, string name)
        {
            if (name == OpaqueMarker)
            {
                int dirFd = ParentFd(parentRel, create: true)!.Value;
                if (_options.WhiteoutMode == WhiteoutMode.Overlay)
                    Check(Setxattr($"/proc/self/fd/{dirFd}", "trusted.overlay.opaque", "y"u8), "setxattr trusted.overlay.opaque");
                else
                {
                    EmptyOlderContent(dirFd, parentRel);
                    DropCache(); // dirFd may be the cached fd; directories under it may be gone
                }
                return;
            }
            if (name.StartsWith(WhiteoutMetaPrefix, StringComparison.Ordinal)) return; // AUFS bookkeeping (.wh..wh.plnk), ignored like Docker
            string target = name[WhiteoutPrefix.Length..];
            if (target.Length == 0 || target == "." || target == "..")
                throw new LayerFormatException($"layer tar entry {Q(header.Name)} is a whiteout without a valid name");

            if (_options.WhiteoutMode == WhiteoutMode.Flat)
            {
                if (ParentFd(parentRel, create: false) is not { } fd) return;
                if (Lstat(fd, target, out var st) == 0) Remove(fd, target, st.IsDirectory);
                return;
            }
            int parentFd = ParentFd(parentRel, create: true)!.Value;
            if (Lstat(parentFd, target, out var existing) == 0)
            {
                Remove(parentFd, target, existing.IsDirectory);
                parentFd = ParentFd(parentRel, create: true)!.Value;
            }
            Check(MknodAt(parentFd, target, S_IFCHR, 0, 0), "mknod whiteout");
            if (_options.PreserveOwnership) Check(LchownAt(parentFd, target, Uid(header), Gid(header)), "chown");
            Check(LutimesAt(parentFd, target, header.MtimeSeconds, header.MtimeNanoseconds), "utimes");
        }

        /// <summary>Flat-mode opaque marker: deletes everything under the directory that this layer did not write.</summary>
        private void EmptyOlderContent(int dirFd, string dirRel)
        {
            string dirPath = $"/proc/self/fd/{dirFd}";
            var children = Directory.EnumerateFileSystemEntries(dirPath, "*", FileEnumeration.Everything(recurse: false, ignoreInaccessible: true))
                .Select(Path.GetFileName).ToList();
            foreach (var child in children)
            {
                string childRel = dirRel.Length == 0 ? child! : dirRel + "/" + child;
                if (Lstat(dirFd, child!, out var st) != 0) continue;
                if (!_written!.Contains(childRel))
                {
                    RemoveTree($"{dirPath}/{child}", st.IsDirectory);
                }
                else if (st.IsDirectory)
                {
                    int fd = OpenAt2(dirFd, child!, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
                    if (fd < 0) throw Error(-fd, $"open {childRel}");
                    try { EmptyOlderContent(fd, childRel); }
                    finally { Close(fd); }
                }
            }
        }

        private void ApplyMetadata(int dirFd, string name, TarEntryHeader header, bool isSymlink)
        {
            if (_options.PreserveOwnership) Check(LchownAt(dirFd, name, Uid(header), Gid(header)), "chown");
            if (!isSymlink) Check(ChmodAt(dirFd, name, header.Mode & 0xFFF), "chmod");
            string path = name == "." ? $"/proc/self/fd/{dirFd}" : $"/proc/self/fd/{dirFd}/{name}";
            SetXattrs(header, (key, value) => name == "." ? Setxattr(path, key, value) : Lsetxattr(path, key, value));
            if (header.Type != TarEntryHeader.TypeDirectory)
                Check(LutimesAt(dirFd, name, header.MtimeSeconds, header.MtimeNanoseconds), "utimes");
        }

        private void SetXattrs(TarEntryHeader header, Func<string, byte[], int> set)
        {
            if (header.Xattrs is null) return;
            foreach (var (key, value) in header.Xattrs)
            {
                if (key.StartsWith("trusted.overlay.", StringComparison.Ordinal)) { SkippedXattrs++; continue; }
                int errno = set(key, value);
                if (errno == 0) continue;
                // Like Docker: a file system or privilege level that cannot hold an xattr is not fatal, except for
                // file capabilities, without which the image's binaries would not work.
                if (key != "security.capability" && (errno == EPERM || errno == EOPNOTSUPP)) { SkippedXattrs++; continue; }
                throw Error(errno, $"setxattr {key}");
            }
        }

        public void RestoreDirectoryTimes()
        {
            for (int i = _directoryTimes.Count - 1; i >= 0; i--)
            {
                var (rel, seconds, nanos) = _directoryTimes[i];
                if (rel.Length == 0) { Check(LutimesAt(_rootFd, ".", seconds, nanos), "utimes"); continue; }
                var (parent, name) = Split(rel);
                if (ParentFd(parent, create: false) is not { } fd) continue; // deleted later in the same layer
                if (Lstat(fd, name, out var st) == 0 && st.IsDirectory)
                    Check(LutimesAt(fd, name, seconds, nanos), $"utimes {rel}");
            }
        }

        /// <summary>An O_PATH fd for a directory inside the root, opened without following any symlink; null if missing and not created.</summary>
        private int? ParentFd(string parentRel, bool create)
        {
            if (parentRel.Length == 0) return _rootFd;
            if (_cachedParent == parentRel) return _cachedFd;
            int fd = OpenAt2(_rootFd, parentRel, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
            if (fd < 0)
            {
                if (-fd is not (ENOENT or ELOOP or ENOTDIR or EXDEV)) throw Error(-fd, $"open {parentRel}");
                fd = WalkParents(parentRel, create);
                if (fd < 0) return null;
            }
            DropCache();
            _cachedParent = parentRel;
            _cachedFd = fd;
            return fd;
        }

        /// <summary>Opens a directory without caching it (the caller closes it unless it is the root fd).</summary>
        private int? OpenDirectory(string rel)
        {
            if (rel.Length == 0) return _rootFd;
            int fd = OpenAt2(_rootFd, rel, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
            return fd >= 0 ? fd : null;
        }

        /// <summary>Component-by-component walk: creates missing directories and names the component that is a symlink or a file.</summary>
        private int WalkParents(string parentRel, bool create)
        {
            int current = _rootFd;
            int slash = -1;
            try
            {
                while (true)
                {
                    int next = parentRel.IndexOf('/', slash + 1);
                    string component = next < 0 ? parentRel[(slash + 1)..] : parentRel[(slash + 1)..next];
                    string prefix = next < 0 ? parentRel : parentRel[..next];
                    int fd = OpenAt2(current, component, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
                    if (fd == -ENOENT)
                    {
                        if (!create) return -1;
                        Check(MkdirAt(current, component, 0x1ED /* 0755 */), $"mkdir {prefix}");
                        if (_options.PreserveOwnership && (_options.UidOffset != 0 || _options.GidOffset != 0))
                            Check(LchownAt(current, component, _options.UidOffset, _options.GidOffset), "chown");
                        _written?.Add(prefix);
                        fd = OpenAt2(current, component, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
                    }
                    if (fd < 0)
                    {
                        if (-fd == ELOOP || (Lstat(current, component, out var st) == 0 && st.FileType == S_IFLNK))
                            throw new LayerFormatException(
                                $"layer tar entry {Q(_entry)} would be written through the symlink {Q(prefix)}");
                        if (-fd == ENOTDIR)
                        {
                            if (!create) return -1;
                            throw new LayerFormatException($"layer tar entry {Q(_entry)} is inside {Q(prefix)}, which is not a directory");
                        }
                        throw Error(-fd, $"open {prefix}");
                    }
                    if (current != _rootFd) Close(current);
                    current = fd;
                    if (next < 0) return current;
                    slash = next;
                }
            }
            catch
            {
                if (current != _rootFd) Close(current);
                throw;
            }
        }

        private void Remove(int parentFd, string name, bool isDirectory)
        {
            if (!isDirectory)
            {
                Check(UnlinkAt(parentFd, name, directory: false), "unlink");
                return;
            }
            RemoveTree($"/proc/self/fd/{parentFd}/{name}", true);
            DropCache(); // the cached parent may have been inside the removed tree
        }

        private void RemoveTree(string path, bool isDirectory)
        {
            // Directory.Delete does not follow symlinks inside the tree; the path is anchored on a verified dir fd.
            if (isDirectory) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }

        private void DropCache()
        {
            if (_cachedFd >= 0 && _cachedFd != _rootFd) Close(_cachedFd);
            _cachedFd = -1;
            _cachedParent = null;
        }

        private int Uid(TarEntryHeader header) => checked((int)(header.Uid + _options.UidOffset));
        private int Gid(TarEntryHeader header) => checked((int)(header.Gid + _options.GidOffset));

        private static void Check(int errno, string what)
        {
            if (errno != 0) throw Error(errno, what);
        }

        private static string Q(string name) => LayerTarReader.Quote(name);
    }
}
