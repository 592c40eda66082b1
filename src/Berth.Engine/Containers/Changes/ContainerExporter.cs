using Berth.Engine.Containers.Copy;
using Berth.Engine.Layers;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Containers.Changes;

/// <summary><c>docker export</c>: a container's whole file system (its merged rootfs) as one flat tar stream.</summary>
public static class ContainerExporter
{
    /// <summary>
    /// Writes every entry below <paramref name="rootfs"/> (no root entry, names without <c>./</c>, directories with a
    /// trailing '/', numeric owners), walking through descriptors so a running container cannot redirect the walk
    /// out of its root with a symlink.
    /// </summary>
    public static async Task ExportAsync(string rootfs, Stream output, CancellationToken cancellationToken = default)
    {
        int errno = FileDescriptor.TryOpen(AT_FDCWD, rootfs, O_PATH | O_DIRECTORY, 0, out var root);
        if (errno != 0) throw Error(errno, "open " + rootfs);
        using (root)
        {
            using var writer = new LayerTarWriter(output);
            var archiver = new DescriptorTreeArchiver(writer);
            await archiver.WriteChildrenAsync(root!, "", cancellationToken).ConfigureAwait(false);
            await archiver.FinishAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
