using Berth.Engine.Layers;
using Microsoft.Win32.SafeHandles;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers.Copy;

/// <summary>
/// Writes the tree under an open descriptor as tar entries. Every child is opened O_PATH|O_NOFOLLOW relative to
/// its parent's descriptor and inspected through its own descriptor, so swapping a directory for a symlink while
/// the walk runs cannot lead it anywhere else: a symlink is archived as a symlink, never followed.
/// </summary>
/// <remarks>
/// Entries are named <c>top</c>, <c>top/child</c> …; a top of <c>.</c> gives <c>./</c>, <c>./child</c>. Children in
/// ordinal name order, as Go's filepath.Walk. Sockets are skipped (tar cannot hold them); a second path to a
/// hardlinked inode becomes a hardlink entry. Owners are numeric; no user or group names are looked up anywhere. A
/// regular file's security.capability goes along as a PAX xattr record, as in Docker's archives (no other xattr).
/// </remarks>
internal sealed class DescriptorTreeArchiver(LayerTarWriter writer)
{
    private readonly Dictionary<(uint, uint, ulong), string> _inodes = [];

    public async Task WriteAsync(FileDescriptor source, string topName, CancellationToken cancellationToken)
    {
        var st = source.Stat();
        await WriteEntryAsync(source, st, topName, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<(Content.Digest, long)> FinishAsync(CancellationToken cancellationToken) => writer.FinishAsync(cancellationToken);

    private async Task WriteEntryAsync(FileDescriptor fd, Statx st, string name, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        uint type = st.FileType;
        if (type == S_IFSOCK) return;
        var entry = new LayerTarWriter.Entry
        {
            Name = name + (type == S_IFDIR && !name.EndsWith('/') ? "/" : ""),
            LinkName = "",
            Mode = (uint)(st.Mode & 0xFFF),
            Uid = st.Uid,
            Gid = st.Gid,
            Mtime = st.MtimeSeconds,
        };
        switch (type)
        {
            case S_IFDIR: entry.Type = TarEntryHeader.TypeDirectory; break;
            case S_IFLNK: entry.Type = TarEntryHeader.TypeSymlink; entry.LinkName = ReadLink(fd.Fd, ""); break;
            case S_IFCHR: entry.Type = TarEntryHeader.TypeCharDevice; entry.DevMajor = st.RdevMajor; entry.DevMinor = st.RdevMinor; break;
            case S_IFBLK: entry.Type = TarEntryHeader.TypeBlockDevice; entry.DevMajor = st.RdevMajor; entry.DevMinor = st.RdevMinor; break;
            case S_IFIFO: entry.Type = TarEntryHeader.TypeFifo; break;
            default:
                entry.Type = TarEntryHeader.TypeRegular;
                entry.Size = (long)st.Size;
                // Docker's cp carries file capabilities (and no other xattr) in both directions.
                if (fd.FileCapability() is { } capability) entry.Xattrs = [new("security.capability", capability)];
                break;
        }
        if (type != S_IFDIR && st.Nlink > 1)
        {
            var key = (st.DevMajor, st.DevMinor, st.Inode);
            if (_inodes.TryGetValue(key, out var first))
            {
                entry.Type = TarEntryHeader.TypeHardLink;
                entry.LinkName = first;
                entry.Size = 0;
            }
            else _inodes[key] = entry.Name;
        }

        if (entry.Type == TarEntryHeader.TypeRegular && entry.Size > 0)
        {
            using var data = fd.Reopen(O_RDONLY);
            using var handle = new SafeFileHandle(data.Fd, ownsHandle: false);
            await writer.WriteHeaderAsync(entry, cancellationToken).ConfigureAwait(false);
            await writer.WriteFileDataAsync(handle, entry.Size, name, cancellationToken).ConfigureAwait(false);
            return;
        }
        await writer.WriteHeaderAsync(entry, cancellationToken).ConfigureAwait(false);
        if (type != S_IFDIR) return;

        await WriteChildrenAsync(fd, entry.Name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the entries below a directory (not the directory itself), each named <paramref name="prefix"/> + its path.</summary>
    public async Task WriteChildrenAsync(FileDescriptor fd, string prefix, CancellationToken cancellationToken)
    {
        foreach (var child in fd.ListNames())
        {
            int errno = FileDescriptor.TryOpen(fd.Fd, child, O_PATH | O_NOFOLLOW, 0, out var childFd);
            if (errno == ENOENT) continue; // removed while we walked
            if (errno != 0) throw Error(errno, $"open {prefix}{child}");
            using (childFd)
                await WriteEntryAsync(childFd!, childFd!.Stat(), prefix + child, cancellationToken).ConfigureAwait(false);
        }
    }
}
