using Berth.Engine.Layers.Native;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Layers;

/// <summary>
/// Turns directories into deterministic OCI layer tars (a plain tree, or an overlayfs upper dir with its whiteouts),
/// and lists an upper dir's changes the way <c>docker diff</c> does.
/// </summary>
/// <remarks>
/// Entries are written depth first, each directory's children in ordinal name order, directories named with a
/// trailing '/', no <c>./</c> prefix and no entry for the root (as Docker's layers). Owners are numeric with empty
/// user and group names; mtimes are whole seconds (as Docker truncates them); sockets are skipped. The second and
/// later paths of a hardlinked inode become hardlink entries to the first.
/// </remarks>
public static class LayerDiffer
{
    private const string OpaqueXattr = "trusted.overlay.opaque";

    /// <summary>Writes the tree under <paramref name="dir"/> as a layer tar.</summary>
    public static Task<LayerTarResult> WriteTarAsync(string dir, Stream output, TarWriteOptions? options = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(dir, output, options ?? TarWriteOptions.Default, overlay: false, cancellationToken);

    /// <summary>
    /// Writes an overlayfs upper dir as an OCI layer tar: 0/0 character devices become <c>.wh.NAME</c> entries and
    /// opaque directories are followed by a <c>.wh..wh..opq</c> entry. Every changed path already has its parent
    /// directories in the upper dir (overlayfs copies them up), so the tar carries them with their current metadata.
    /// The lower dirs are not needed for the tar (they are for <see cref="ComputeChangesAsync"/>); they are accepted
    /// for symmetry and checked to exist.
    /// </summary>
    /// <exception cref="BerthException">The upper dir uses overlayfs redirect_dir or metacopy, which a layer tar cannot express; mount with <c>redirect_dir=off,metacopy=off</c>.</exception>
    public static Task<LayerTarResult> WriteOverlayDiffAsync(string upperDir, IReadOnlyList<string> lowerDirs, Stream output,
        TarWriteOptions? options = null, CancellationToken cancellationToken = default)
    {
        foreach (var lower in lowerDirs)
            if (!Directory.Exists(lower)) throw new DirectoryNotFoundException($"lower dir {lower} does not exist");
        return WriteAsync(upperDir, output, options ?? TarWriteOptions.Default, overlay: true, cancellationToken);
    }

    private static async Task<LayerTarResult> WriteAsync(string dir, Stream output, TarWriteOptions options, bool overlay,
        CancellationToken cancellationToken)
    {
        if (Lstat(AT_FDCWD, dir, out var rootStat) != 0 || !rootStat.IsDirectory)
            throw new DirectoryNotFoundException($"{dir} is not a directory");
        using var writer = new LayerTarWriter(output, options.BufferSize);
        var walk = new TreeWalk(writer, options, overlay);
        await walk.WriteChildrenAsync(dir.TrimEnd('/'), "", cancellationToken).ConfigureAwait(false);
        var (digest, size) = await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
        return new LayerTarResult(digest, size);
    }

    internal static List<string> SortedChildren(string dir)
    {
        var names = new List<string>();
        var enumerable = new System.IO.Enumeration.FileSystemEnumerable<string>(dir,
            (ref System.IO.Enumeration.FileSystemEntry e) => e.FileName.ToString(),
            FileEnumeration.Everything(recurse: false));
        names.AddRange(enumerable);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private sealed class TreeWalk(LayerTarWriter writer, TarWriteOptions options, bool overlay)
    {
        private readonly Dictionary<(uint, uint, ulong), string> _inodes = [];
        private readonly string _prefix = options.PathPrefix ?? "";

        public async ValueTask WriteChildrenAsync(string absDir, string relDir, CancellationToken cancellationToken)
        {
            foreach (var name in SortedChildren(absDir))
            {
                cancellationToken.ThrowIfCancellationRequested();
                string abs = absDir + "/" + name;
                string rel = relDir.Length == 0 ? name : relDir + "/" + name;
                if (Lstat(AT_FDCWD, abs, out var st) != 0) continue; // vanished while walking
                if (options.Include is { } include && !include(rel)) continue;
                uint type = st.FileType;
                long mtime = Clamp(st.MtimeSeconds);

                if (overlay && st.IsWhiteout)
                {
                    string parent = relDir.Length == 0 ? "" : relDir + "/";
                    await writer.WriteHeaderAsync(new LayerTarWriter.Entry
                    {
                        // Mode 0600, as Docker's overlay2 differ writes whiteouts: the same layer gets the same digest.
                        Name = _prefix + parent + ".wh." + name, LinkName = "", Type = (byte)'0', Mtime = mtime, Mode = 0x180,
                    }, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (type == S_IFSOCK) continue;

                bool opaque = false;
                List<KeyValuePair<string, byte[]>>? xattrs = null;
                if (options.IncludeXattrs || overlay) xattrs = ReadXattrs(abs, out opaque);
                if (!options.IncludeXattrs) xattrs = null;

                var entry = new LayerTarWriter.Entry
                {
                    Name = _prefix + rel + (type == S_IFDIR ? "/" : ""),
                    LinkName = "",
                    Mode = (uint)(st.Mode & 0xFFF),
                    Uid = st.Uid,
                    Gid = st.Gid,
                    Mtime = mtime,
                    Xattrs = xattrs is { Count: > 0 } ? xattrs : null,
                };
                switch (type)
                {
                    case S_IFDIR: entry.Type = (byte)'5'; break;
                    case S_IFLNK: entry.Type = (byte)'2'; entry.LinkName = ReadLink(AT_FDCWD, abs); break;
                    case S_IFCHR: entry.Type = (byte)'3'; entry.DevMajor = st.RdevMajor; entry.DevMinor = st.RdevMinor; break;
                    case S_IFBLK: entry.Type = (byte)'4'; entry.DevMajor = st.RdevMajor; entry.DevMinor = st.RdevMinor; break;
                    case S_IFIFO: entry.Type = (byte)'6'; break;
                    default: entry.Type = (byte)'0'; entry.Size = (long)st.Size; break;
                }
                if (type != S_IFDIR && st.Nlink > 1)
                {
                    var key = (st.DevMajor, st.DevMinor, st.Inode);
                    if (_inodes.TryGetValue(key, out var first))
                    {
                        entry.Type = (byte)'1';
                        entry.LinkName = first;
                        entry.Size = 0;
                    }
                    else _inodes[key] = entry.Name;
                }

                if (entry.Type == '0' && entry.Size > 0)
                {
                    int fd = OpenAt(AT_FDCWD, abs, O_RDONLY | O_NOFOLLOW);
                    if (fd < 0) throw Error(-fd, $"open {abs}");
                    using var handle = new SafeFileHandle(fd, ownsHandle: true);
                    await writer.WriteHeaderAsync(entry, cancellationToken).ConfigureAwait(false);
                    await writer.WriteFileDataAsync(handle, entry.Size, abs, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await writer.WriteHeaderAsync(entry, cancellationToken).ConfigureAwait(false);
                }

                if (type == S_IFDIR)
                {
                    if (opaque)
                        await writer.WriteHeaderAsync(new LayerTarWriter.Entry
                        {
                            Name = entry.Name + ".wh..wh..opq", LinkName = "", Type = (byte)'0', Mode = entry.Mode & 0x1FF,
                            Uid = entry.Uid, Gid = entry.Gid, Mtime = mtime,
                        }, cancellationToken).ConfigureAwait(false);
                    await WriteChildrenAsync(abs, rel, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private List<KeyValuePair<string, byte[]>>? ReadXattrs(string abs, out bool opaque)
        {
            opaque = false;
            var names = Llistxattr(abs);
            if (names.Count == 0) return null;
            var result = new List<KeyValuePair<string, byte[]>>();
            foreach (var name in names)
            {
                if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal) || name.StartsWith("user.overlay.", StringComparison.Ordinal))
                {
                    if (!overlay) continue;
                    string key = name[(name.IndexOf(".overlay.", StringComparison.Ordinal) + ".overlay.".Length)..];
                    if (key == "opaque")
                    {
                        var value = Lgetxattr(abs, name);
                        opaque = value is [(byte)'y'];
                    }
                    else if (key is "redirect" or "metacopy")
                        throw new BerthException(
                            $"overlay upper dir entry {abs} has {name}: mount overlayfs with redirect_dir=off,metacopy=off to commit layers");
                    continue;
                }
                if (name.StartsWith("security.", StringComparison.Ordinal) && name != "security.capability") continue;
                if (!(name.StartsWith("user.", StringComparison.Ordinal) || name.StartsWith("trusted.", StringComparison.Ordinal)
                      || name.StartsWith("system.posix_acl_", StringComparison.Ordinal) || name == "security.capability"))
                    continue;
                if (Lgetxattr(abs, name) is { } bytes) result.Add(new(name, bytes));
            }
            result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return result;
        }

        private long Clamp(long mtime) => options.SourceDateEpoch is { } epoch && mtime > epoch ? epoch : mtime;
    }

    /// <summary>
    /// The changes an overlayfs upper dir makes to its lower dirs (top first), as <c>docker diff</c> lists them:
    /// new paths <c>A</c>, paths that existed below <c>C</c> (directories only when something under them or their
    /// own metadata changed), a deleted path (a whole tree) one <c>D</c>; sorted by path.
    /// </summary>
    public static Task<IReadOnlyList<LayerChange>> ComputeChangesAsync(string upperDir, IReadOnlyList<string> lowerDirs,
        CancellationToken cancellationToken = default) =>
        Task.Run<IReadOnlyList<LayerChange>>(() =>
        {
            var changes = new List<LayerChange>();
            CollectChanges(upperDir.TrimEnd('/'), "", lowerDirs, changes, parentIsNew: false, cancellationToken);
            changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
            return changes;
        }, cancellationToken);

    /// <summary>Returns whether anything was recorded under this directory.</summary>
    private static bool CollectChanges(string absDir, string relDir, IReadOnlyList<string> lowers, List<LayerChange> changes,
        bool parentIsNew, CancellationToken cancellationToken)
    {
        bool any = false;
        foreach (var name in SortedChildren(absDir))
        {
            cancellationToken.ThrowIfCancellationRequested();
            string abs = absDir + "/" + name;
            string rel = relDir + "/" + name;
            if (Lstat(AT_FDCWD, abs, out var st) != 0) continue;
            any = true;
            if (st.IsWhiteout)
            {
                if (!parentIsNew && LowerLookup(lowers, rel, out _)) changes.Add(new(ChangeKind.Deleted, rel));
                continue;
            }
            Statx lower = default;
            bool existed = !parentIsNew && LowerLookup(lowers, rel, out lower);
            if (!st.IsDirectory)
            {
                changes.Add(new(existed ? ChangeKind.Modified : ChangeKind.Added, rel));
                continue;
            }
            bool opaque = IsOpaque(abs);
            if (!existed)
            {
                changes.Add(new(ChangeKind.Added, rel));
                CollectChanges(abs, rel, lowers, changes, parentIsNew: true, cancellationToken);
                continue;
            }
            int index = changes.Count;
            bool childChanged = CollectChanges(abs, rel, lowers, changes, parentIsNew: false, cancellationToken);
            if (opaque)
            {
                // Everything the lower dirs had here and the upper dir does not is gone.
                var upperNames = new HashSet<string>(SortedChildren(abs), StringComparer.Ordinal);
                foreach (var lowerName in MergedLowerChildren(lowers, rel))
                    if (!upperNames.Contains(lowerName)) { changes.Add(new(ChangeKind.Deleted, rel + "/" + lowerName)); childChanged = true; }
            }
            bool metadataChanged = lower.Mode != st.Mode || lower.Uid != st.Uid || lower.Gid != st.Gid || lower.MtimeSeconds != st.MtimeSeconds;
            if (childChanged || metadataChanged || opaque || lower.FileType != S_IFDIR)
                changes.Insert(index, new(ChangeKind.Modified, rel));
        }
        return any;
    }

    /// <summary>Whether a path exists in the merged view of the lower dirs (honouring their whiteouts and opaque dirs).</summary>
    private static bool LowerLookup(IReadOnlyList<string> lowers, string rel, out Statx stat)
    {
        stat = default;
        foreach (var lower in lowers)
        {
            if (Lstat(AT_FDCWD, lower + rel, out var st) == 0)
            {
                if (st.IsWhiteout) return false;
                stat = st;
                return true;
            }
            if (HasOpaqueAncestor(lower, rel)) return false;
        }
        return false;
    }

    private static bool IsOpaque(string path) =>
        Lstat(AT_FDCWD, path, out var st) == 0 && st.IsDirectory && Lgetxattr(path, OpaqueXattr) is [(byte)'y'];

    private static bool HasOpaqueAncestor(string lower, string rel)
    {
        for (int slash = rel.LastIndexOf('/'); slash > 0; slash = rel.LastIndexOf('/', slash - 1))
            if (IsOpaque(lower + rel[..slash])) return true;
        return false;
    }

    private static IEnumerable<string> MergedLowerChildren(IReadOnlyList<string> lowers, string rel)
    {
        var seen = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var lower in lowers)
        {
            string dir = lower + rel;
            if (Lstat(AT_FDCWD, dir, out var st) != 0) { if (HasOpaqueAncestor(lower, rel)) break; continue; }
            if (!st.IsDirectory) break;
            foreach (var name in SortedChildren(dir)) seen.Add(name);
            if (IsOpaque(dir)) break;
        }
        return seen.Where(name => LowerLookup(lowers, rel + "/" + name, out _));
    }
}
