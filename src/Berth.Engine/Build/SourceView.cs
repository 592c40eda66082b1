using Berth.Engine.Store;

namespace Berth.Engine.Build;

/// <summary>
/// The files of another build state (a stage or an image) as a directory for one step: an overlay of its layers in a
/// temporary directory, read-only (COPY --from, RUN --mount=type=bind,from=) or with a throw-away upper directory (a
/// <c>rw</c> bind mount, whose writes BuildKit discards too). Disposing unmounts it and removes the directory.
/// </summary>
public sealed class SourceView : IDisposable
{
    readonly BerthStore _store;
    readonly string _directory;
    readonly OverlayMount _mount;

    SourceView(BerthStore store, string directory, OverlayMount mount) => (_store, _directory, _mount) = (store, directory, mount);

    /// <summary>The merged tree.</summary>
    public string Root => _mount.Target;

    /// <summary>Mounts the layers of <paramref name="state"/> (none: an empty tree).</summary>
    public static SourceView Of(BerthStore store, BuildState state, bool writable = false)
        => Over(store, store.Snapshots.LowerDirectories(state.Layers.Select(l => l.ChainId).ToList()), writable);

    /// <summary>Mounts <paramref name="lowerDirs"/> (top first), e.g. one directory of the build context under a <c>rw</c> bind.</summary>
    public static SourceView Over(BerthStore store, IReadOnlyList<string> lowerDirs, bool writable)
    {
        string directory = store.Snapshots.PrepareTemporary();
        try
        {
            string empty = Path.Combine(directory, "empty");
            Directory.CreateDirectory(empty);
            var lowers = lowerDirs.Append(empty).ToList();
            string merged = Path.Combine(directory, "merged");
            OverlayMount mount;
            if (writable)
            {
                Directory.CreateDirectory(Path.Combine(directory, "work"));
                mount = OverlayMount.Mount(lowers, SnapshotStoreFs(directory), Path.Combine(directory, "work"), merged, volatileUpper: true);
            }
            else
            {
                if (lowers.Count < 2) lowers.Add(SnapshotStoreFs(directory));
                mount = OverlayMount.MountReadOnly(lowers, merged);
            }
            return new SourceView(store, directory, mount);
        }
        catch
        {
            store.Snapshots.Discard(directory);
            throw;
        }
    }

    static string SnapshotStoreFs(string directory) => Snapshots.SnapshotStore.FsOf(directory);

    public void Dispose()
    {
        _mount.Dispose();
        _store.Snapshots.Discard(_directory);
    }
}
