using Berth.Engine.Layers;

namespace Berth.Engine.Containers.Changes;

/// <summary>
/// <c>docker commit</c>'s layer: the container's overlay upper dir as an OCI layer tar (whiteouts for deletions,
/// opaque markers, parent directories with their metadata), without the runtime's mount points.
/// </summary>
/// <remarks>
/// The walk reads the upper dir by path: pause the container (freezer) while committing, as Docker does by
/// default, so its processes cannot swap a directory for a symlink under the walk.
/// </remarks>
public static class ContainerCommitter
{
    /// <summary>Writes the layer and returns its diffID and size.</summary>
    public static async Task<LayerTarResult> WriteLayerAsync(string upperDir, IReadOnlyList<string> lowerDirs, Stream output,
        CancellationToken cancellationToken = default)
    {
        // Directories above a mount point go in only when something else in them changed (same rule as diff).
        var changes = await ContainerDiff.ComputeAsync(upperDir, lowerDirs, cancellationToken).ConfigureAwait(false);
        var changedDirs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in changes)
            for (int slash = c.Path.LastIndexOf('/'); slash > 0; slash = c.Path.LastIndexOf('/', slash - 1))
                changedDirs.Add(c.Path[..slash]);
        foreach (var c in changes) changedDirs.Add(c.Path);
        var options = new TarWriteOptions
        {
            Include = rel =>
            {
                string path = "/" + rel;
                if (ContainerMountPoints.Covers(path)) return false;
                return !ContainerMountPoints.IsAncestorOfOne(path) || changedDirs.Contains(path);
            },
        };
        return await LayerDiffer.WriteOverlayDiffAsync(upperDir, lowerDirs, output, options, cancellationToken).ConfigureAwait(false);
    }
}
