using Berth.Engine.Layers;

namespace Berth.Engine.Containers.Changes;

/// <summary><c>docker diff</c>: what a container's upper dir changes in its image, as A/C/D lines in Docker's order.</summary>
public static class ContainerDiff
{
    /// <summary>
    /// The changes of <paramref name="upperDir"/> over <paramref name="lowerDirs"/> (top first), leaving out the
    /// runtime's mount points (<see cref="ContainerMountPoints"/>), in the order of a walk of the upper dir as Docker's
    /// daemon does it: depth first, each directory right before its children (so <c>/a/x</c> comes before <c>/a.txt</c>).
    /// Docker 20.10 takes siblings in directory order, which the file system decides; Berth sorts them by name.
    /// A directory shows as C when something below it changed (rules of <see cref="LayerDiffer.ComputeChangesAsync"/>).
    /// </summary>
    public static async Task<IReadOnlyList<LayerChange>> ComputeAsync(string upperDir, IReadOnlyList<string> lowerDirs,
        CancellationToken cancellationToken = default)
    {
        var all = await LayerDiffer.ComputeChangesAsync(upperDir, lowerDirs, cancellationToken).ConfigureAwait(false);
        var kept = all.Where(c => !ContainerMountPoints.Covers(c.Path)).ToList();
        // A directory that changed (or was made) only because the runtime put a mount point in it did not change for the user.
        var result = kept.Where(c => c.Kind == ChangeKind.Deleted || !ContainerMountPoints.IsAncestorOfOne(c.Path)
                                     || kept.Any(k => k.Path.StartsWith(c.Path + "/", StringComparison.Ordinal))).ToList();
        result.Sort((a, b) => WalkOrder(a.Path, b.Path));
        return result;
    }

    /// <summary>Compares paths component by component: the order of a depth-first walk with sorted siblings.</summary>
    public static int WalkOrder(string a, string b)
    {
        var x = a.Split('/');
        var y = b.Split('/');
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            int c = string.CompareOrdinal(x[i], y[i]);
            if (c != 0) return c;
        }
        return x.Length.CompareTo(y.Length);
    }
}
