using Berth.Engine.Layers;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers.Copy;

/// <summary>Whose files the extracted entries become.</summary>
internal enum ExtractOwnership
{
    /// <summary>The numeric owners in the archive.</summary>
    FromArchive,
    /// <summary>No chown: whoever runs the copy (Docker's copy out of a container).</summary>
    Caller,
    /// <summary>One fixed uid:gid for everything (<c>cp -a</c> into a container with a USER).</summary>
    Fixed,
}

/// <summary>
/// Unpacks a tar stream below a directory, docker-cp style: existing directories are merged, other existing
/// entries replaced, and a directory is never replaced by a non-directory or the reverse.
/// </summary>
/// <remarks>
/// Every entry's parent is resolved with openat2 relative to a root descriptor (RESOLVE_IN_ROOT for a container:
/// a symlink resolves inside the container as it would for a process there; RESOLVE_BENEATH on the host: nothing
/// may lead out of the destination), and the entry itself is created, changed or replaced with *at calls relative
/// to that parent descriptor that never follow a final symlink. A path string is never resolved twice.
/// </remarks>
internal sealed class DescriptorTreeExtractor(FileDescriptor root, string baseRel, ulong resolve)
{
    public (string From, string To)? Rename { get; init; }
    public ExtractOwnership Ownership { get; init; } = ExtractOwnership.FromArchive;
    public int FixedUid { get; init; }
    public int FixedGid { get; init; }
    /// <summary>Name of the destination, for messages.</summary>
    public string DestinationForMessages { get; init; } = "";

    private readonly List<(string Rel, long Mtime)> _directoryTimes = [];

    public async Task ExtractAsync(Stream tar, CancellationToken cancellationToken)
    {
        using var reader = new LayerTarReader(tar);
        while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } header)
            await ApplyAsync(header, reader, cancellationToken).ConfigureAwait(false);
        // Children changed the directories' mtimes: set them last, deepest first.
        for (int i = _directoryTimes.Count - 1; i >= 0; i--)
        {
            var (rel, mtime) = _directoryTimes[i];
            var (parentRel, leaf) = Split(rel);
            if (FileDescriptor.TryOpen2(root.Fd, parentRel, O_PATH | O_DIRECTORY, resolve, out var parent) != 0) continue;
            using (parent) LutimesAt(parent!.Fd, leaf, mtime, 0);
        }
    }

    private List<string> Components(string name)
    {
        var parts = new List<string>();
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == ".") continue;
            if (segment == "..")
            {
                if (parts.Count == 0) throw new InvalidInputException($"{LayerTarReader.Quote(name)} is outside of {LayerTarReader.Quote(DestinationForMessages)}");
                parts.RemoveAt(parts.Count - 1);
                continue;
            }
            if (segment.Contains('\0')) throw new InvalidInputException($"archive entry {LayerTarReader.Quote(name)} has a NUL byte in its name");
            parts.Add(segment);
        }
        if (Rename is { } rename)
        {
            if (rename.From == ".") parts.Insert(0, rename.To);
            else if (parts.Count > 0 && parts[0] == rename.From) parts[0] = rename.To;
        }
        return parts;
    }

    private string Full(List<string> parts) =>
        parts.Count == 0 ? baseRel : baseRel.Length == 0 ? string.Join('/', parts) : baseRel + "/" + string.Join('/', parts);

    private static (string Parent, string Leaf) Split(string rel)
    {
        int slash = rel.LastIndexOf('/');
        return slash < 0 ? ("", rel) : (rel[..slash], rel[(slash + 1)..]);
    }

    private async Task ApplyAsync(TarEntryHeader header, LayerTarReader reader, CancellationToken cancellationToken)
    {
        var parts = Components(header.Name);
        bool isDir = header.Type == TarEntryHeader.TypeDirectory;
        if (parts.Count == 0)
        {
            // The destination directory itself ("./" in an archive of a directory's contents).
            if (!isDir) throw new ConflictException($"cannot overwrite directory {LayerTarReader.Quote(DestinationForMessages)} with non-directory {LayerTarReader.Quote(header.Name)}");
            if (baseRel.Length == 0) { ApplyToRoot(header); return; }
            var (baseParentRel, baseLeaf) = Split(baseRel);
            using var baseParent = OpenDirectory(baseParentRel);
            SetMetadata(baseParent, baseLeaf, header, isSymlink: false);
            _directoryTimes.Add((baseRel, header.MtimeSeconds));
            return;
        }
        string rel = Full(parts);
        var (parentRel, leaf) = Split(rel);
        using var parent = OpenDirectory(parentRel);
        int pfd = parent.Fd;

        if (Lstat(pfd, leaf, out var existing) == 0)
        {
            string shown = string.Join('/', parts);
            if (existing.IsDirectory && !isDir)
                throw new ConflictException($"cannot overwrite directory {LayerTarReader.Quote(shown)} with non-directory {LayerTarReader.Quote(header.Name)}");
            if (!existing.IsDirectory && isDir)
                throw new ConflictException($"cannot overwrite non-directory {LayerTarReader.Quote(shown)} with directory {LayerTarReader.Quote(header.Name)}");
            if (!existing.IsDirectory)
            {
                // A file with something mounted on it (a bind-mounted file, /etc/hosts): the kernel lets a mount in another
                // namespace (the container's, a copy's detached tree) be unlinked, dropping the mount and writing beneath;
                // Docker, whose mounts are its own, fails there, so this copy does too, in its words.
                if (existing.IsMountRoot)
                    throw new BerthException($"Error processing tar file(exit status 1): unlinkat {DestinationForMessages.TrimEnd('/')}/{shown}: device or resource busy");
                int rc = UnlinkAt(pfd, leaf, directory: false);
                if (rc != 0 && rc != ENOENT) throw Error(rc, "remove " + shown);
            }
        }

        switch (header.Type)
        {
            case TarEntryHeader.TypeDirectory:
            {
                int rc = MkdirAt(pfd, leaf, 0x1C0 /* 0700 */);
                if (rc != 0 && rc != EEXIST) throw Error(rc, "mkdir " + rel);
                SetMetadata(parent, leaf, header, isSymlink: false);
                _directoryTimes.Add((rel, header.MtimeSeconds));
                return;
            }
            case TarEntryHeader.TypeRegular or TarEntryHeader.TypeRegularV7 or TarEntryHeader.TypeContiguous:
                await WriteFileAsync(pfd, leaf, rel, header, reader, cancellationToken).ConfigureAwait(false);
                return;
            case TarEntryHeader.TypeSymlink:
            {
                int rc = SymlinkAt(header.LinkName, pfd, leaf);
                if (rc != 0) throw Error(rc, "symlink " + rel);
                SetMetadata(parent, leaf, header, isSymlink: true);
                return;
            }
            case TarEntryHeader.TypeHardLink:
            {
                var target = Components(header.LinkName);
                if (target.Count == 0) throw new InvalidInputException($"hardlink {LayerTarReader.Quote(header.Name)} points at the destination directory");
                var (targetParentRel, targetLeaf) = Split(Full(target));
                using var targetParent = OpenDirectory(targetParentRel);
                int rc = LinkAt(targetParent.Fd, targetLeaf, pfd, leaf);
                if (rc != 0) throw Error(rc, $"link {header.LinkName} to {rel}");
                return;
            }
            case TarEntryHeader.TypeCharDevice or TarEntryHeader.TypeBlockDevice or TarEntryHeader.TypeFifo:
            {
                uint type = header.Type switch
                {
                    TarEntryHeader.TypeCharDevice => S_IFCHR,
                    TarEntryHeader.TypeBlockDevice => S_IFBLK,
                    _ => S_IFIFO,
                };
                int rc = MknodAt(pfd, leaf, type | 0x180 /* 0600 */, header.DevMajor, header.DevMinor);
                if (rc != 0) throw Error(rc, "mknod " + rel);
                SetMetadata(parent, leaf, header, isSymlink: false);
                return;
            }
            default:
                throw new InvalidInputException($"archive entry {LayerTarReader.Quote(header.Name)} has unsupported type {header.TypeDescription}");
        }
    }

    private async Task WriteFileAsync(int pfd, string leaf, string rel, TarEntryHeader header, LayerTarReader reader,
        CancellationToken cancellationToken)
    {
        int errno = FileDescriptor.TryOpen(pfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0x180 /* 0600 */, out var file);
        if (errno != 0) throw Error(errno, "create " + rel);
        using (file)
        {
            using var handle = new SafeFileHandle(file!.Fd, ownsHandle: false);
            long offset = 0;
            while (true)
            {
                var data = await reader.ReadDataAsync(cancellationToken).ConfigureAwait(false);
                if (data.IsEmpty) break;
                await RandomAccess.WriteAsync(handle, data, offset, cancellationToken).ConfigureAwait(false);
                offset += data.Length;
            }
            if (Owner(header) is { } owner && Fchown(file.Fd, owner.Uid, owner.Gid) is var rc and not 0) throw Error(rc, "chown " + rel);
            int chmod = Fchmod(file.Fd, header.Mode & 0xFFF);
            if (chmod != 0) throw Error(chmod, "chmod " + rel);
            // After the data and the chown, either of which would clear security.capability.
            SetXattrs(header, rel, (name, value) => Fsetxattr(file.Fd, name, value));
            Futimes(file.Fd, header.MtimeSeconds, 0);
        }
    }

    private (int Uid, int Gid)? Owner(TarEntryHeader header) => Ownership switch
    {
        ExtractOwnership.FromArchive => ((int)header.Uid, (int)header.Gid),
        ExtractOwnership.Fixed => (FixedUid, FixedGid),
        _ => null,
    };

    /// <summary>Owner, then mode (chown clears set-id bits), then mtime, all without following a final symlink.</summary>
    private void SetMetadata(FileDescriptor parent, string leaf, TarEntryHeader header, bool isSymlink)
    {
        if (Owner(header) is { } owner)
        {
            int rc = LchownAt(parent.Fd, leaf, owner.Uid, owner.Gid);
            if (rc != 0) throw Error(rc, "chown " + leaf);
        }
        if (!isSymlink)
        {
            int errno = FileDescriptor.TryOpen(parent.Fd, leaf, O_PATH | O_NOFOLLOW, 0, out var node);
            if (errno != 0) throw Error(errno, "open " + leaf);
            using (node)
            {
                // Replaced by a symlink since we made it? Then leave it alone rather than chmod what it points to.
                if (node!.Stat().FileType != S_IFLNK)
                {
                    int rc = node.Chmod(header.Mode & 0xFFF);
                    if (rc != 0) throw Error(rc, "chmod " + leaf);
                    SetXattrs(header, leaf, (name, value) => Setxattr(node.ProcPath, name, value));
                }
            }
        }
        LutimesAt(parent.Fd, leaf, header.MtimeSeconds, 0);
    }

    /// <summary>
    /// The archive's xattrs, as Docker's createTarFile sets them: all of them, except that a file system or privilege
    /// level that cannot hold one is not an error (EPERM, EOPNOTSUPP), and overlayfs' own trusted.overlay.* are never
    /// written (an archive must not forge overlay metadata).
    /// </summary>
    private static void SetXattrs(TarEntryHeader header, string rel, Func<string, byte[], int> set)
    {
        if (header.Xattrs is null) return;
        foreach (var (name, value) in header.Xattrs)
        {
            if (name.StartsWith("trusted.overlay.", StringComparison.Ordinal)) continue;
            int errno = set(name, value);
            if (errno is 0 or EPERM or EOPNOTSUPP) continue;
            throw Error(errno, $"setxattr {name} {rel}");
        }
    }

    private void ApplyToRoot(TarEntryHeader header)
    {
        // fchown/fchmod do not take O_PATH descriptors: reopen the same inode.
        using var dir = root.Reopen(O_RDONLY | O_DIRECTORY);
        if (Owner(header) is { } owner && Fchown(dir.Fd, owner.Uid, owner.Gid) is var rc and not 0) throw Error(rc, "chown destination");
        int chmod = Fchmod(dir.Fd, header.Mode & 0xFFF);
        if (chmod != 0) throw Error(chmod, "chmod destination");
    }

    /// <summary>Opens a directory below the root, creating missing directories (0755, as Docker's MkdirAll) one by one.</summary>
    private FileDescriptor OpenDirectory(string rel)
    {
        int errno = FileDescriptor.TryOpen2(root.Fd, rel, O_PATH | O_DIRECTORY, resolve, out var fd);
        if (errno == 0) return fd!;
        if (errno != ENOENT || rel.Length == 0) throw Error(errno, $"open {(rel.Length == 0 ? "." : rel)}");
        var (parentRel, leaf) = Split(rel);
        using (var parent = OpenDirectory(parentRel))
        {
            int rc = MkdirAt(parent.Fd, leaf, 0x1ED /* 0755 */);
            if (rc != 0 && rc != EEXIST) throw Error(rc, "mkdir " + rel);
            // Create with mode 0755 regardless of the umask.
            if (rc == 0 && FileDescriptor.TryOpen(parent.Fd, leaf, O_PATH | O_NOFOLLOW | O_DIRECTORY, 0, out var made) == 0)
                using (made) made!.Chmod(0x1ED /* 0755 */);
        }
        errno = FileDescriptor.TryOpen2(root.Fd, rel, O_PATH | O_DIRECTORY, resolve, out fd);
        if (errno != 0) throw Error(errno, "open " + rel);
        return fd!;
    }
}
