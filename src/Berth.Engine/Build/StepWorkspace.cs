using Berth.Engine.Containers;
using Berth.Engine.Content;
using Berth.Engine.Layers;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;
using Berth.Engine.Store;
using static Berth.Engine.Layers.Native.PosixFileSystem;

namespace Berth.Engine.Build;

/// <summary>
/// A build step's writable view of a state: an overlay of the state's layers under a fresh upper dir, mounted at
/// <see cref="Rootfs"/>. Committing turns the upper dir into a layer (or nothing, when the step changed nothing);
/// disposing unmounts and deletes everything the step made, so a failed step leaves no snapshot behind.
/// </summary>
/// <remarks>
/// For RUN an init layer (Docker's <c>-init</c> layer) sits on top of the image's layers: it holds the mount points the
/// runtime needs (<c>/proc</c>, <c>/sys</c>, <c>/dev</c>, <c>/etc/hosts</c>, <c>/etc/resolv.conf</c>, <c>/etc/hostname</c>)
/// so that creating them never shows up in the step's layer. Its directories copy the image's own metadata.
/// </remarks>
public sealed class StepWorkspace : IDisposable
{
    readonly BerthStore _store;
    readonly string _key;
    readonly string _extraLower;
    readonly OverlayMount _mount;
    readonly IReadOnlyList<string> _lowers;

    public string Rootfs => _mount.Target;
    public string UpperDirectory { get; }
    /// <summary>A private directory for the step (bundle, hosts files), deleted with the workspace.</summary>
    public string ScratchDirectory { get; }

    StepWorkspace(BerthStore store, string key, string extraLower, OverlayMount mount, IReadOnlyList<string> lowers, string upper, string scratch)
    {
        (_store, _key, _extraLower, _mount, _lowers, UpperDirectory, ScratchDirectory) = (store, key, extraLower, mount, lowers, upper, scratch);
    }

    const string KeyPrefix = "build-";

    /// <summary>
    /// Removes the workspaces of builds whose process is gone (killed mid-step): unmounts what is still mounted and deletes
    /// the directories, so an interrupted build leaves nothing behind once the next build starts.
    /// </summary>
    public static int RemoveAbandoned(BerthStore store)
    {
        int removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(store.Snapshots.SnapshotsDirectory, "active-" + KeyPrefix + "*"))
        {
            string key = Path.GetFileName(dir)["active-".Length..];
            var parts = key[KeyPrefix.Length..].Split('-');
            if (parts.Length != 2 || !int.TryParse(parts[0], out int pid) || ProcessIsAlive(pid)) continue;
            OverlayMount.Detach(Path.Combine(dir, "merged"));
            store.Snapshots.RemoveActive(key);
            removed++;
        }
        return removed;
    }

    static bool ProcessIsAlive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>The snapshots directories already marked as tops of directory hierarchies by this process.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> s_spread = new(StringComparer.Ordinal);

    public static StepWorkspace Open(BerthStore store, IReadOnlyList<LayerRecord> layers, bool withInitLayer, IReadOnlyList<string>? mountPoints = null,
        IReadOnlyList<string>? fileMountPoints = null)
    {
        // Each step's upper dir (a new layer's files) then goes to a block group of its own; see BuildFileCalls.MarkTopDirectory.
        s_spread.GetOrAdd(store.Snapshots.SnapshotsDirectory, BuildFileCalls.MarkTopDirectory);
        string key = $"{KeyPrefix}{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..16]}";
        var chains = layers.Select(l => l.ChainId).ToList();
        var active = store.Snapshots.PrepareActive(key, chains);
        string extra = Path.Combine(active.Directory, "init");
        string scratch = Path.Combine(active.Directory, "scratch");
        Directory.CreateDirectory(extra);
        Directory.CreateDirectory(scratch);
        try
        {
            var layerDirs = chains.AsEnumerable().Reverse().Select(store.Snapshots.LayerDirectory).ToList();
            if (withInitLayer) MakeInitLayer(extra, layerDirs);
            // RUN --mount targets exist in the init layer, so creating them never shows in the step's layer.
            foreach (var target in mountPoints ?? [])
                Directory.CreateDirectory(extra + RootfsPath.Clean(target));
            foreach (var target in fileMountPoints ?? [])
            {
                string path = extra + RootfsPath.Clean(target);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, []);
            }
            var lowers = new List<string> { extra };
            lowers.AddRange(active.LowerDirectories);
            var mount = OverlayMount.Mount(lowers, active.UpperDirectory, active.WorkDirectory, Path.Combine(active.Directory, "merged"), volatileUpper: true);
            return new StepWorkspace(store, key, extra, mount, active.LowerDirectories, active.UpperDirectory, scratch);
        }
        catch
        {
            store.Snapshots.RemoveActive(key);
            throw;
        }
    }

    static void MakeInitLayer(string init, IReadOnlyList<string> layerDirsTopFirst)
    {
        foreach (var dir in new[] { "dev", "proc", "sys", "etc" })
        {
            string path = Path.Combine(init, dir);
            Directory.CreateDirectory(path);
            // The init layer's directory hides the image's in the merged view: give it the image's metadata.
            foreach (var layer in layerDirsTopFirst)
            {
                if (Lstat(AT_FDCWD, Path.Combine(layer, dir), out var st) != 0) continue;
                if (!st.IsDirectory) break;
                ChmodAt(AT_FDCWD, path, (uint)(st.Mode & 0xFFF));
                LchownAt(AT_FDCWD, path, (int)st.Uid, (int)st.Gid);
                LutimesAt(AT_FDCWD, path, st.MtimeSeconds, st.MtimeNanoseconds);
                break;
            }
        }
        foreach (var file in new[] { "etc/hosts", "etc/resolv.conf", "etc/hostname" })
            File.WriteAllBytes(Path.Combine(init, file), []);
    }

    /// <summary>Whether the step changed anything.</summary>
    public bool HasChanges => Directory.EnumerateFileSystemEntries(UpperDirectory).Any();

    /// <summary>
    /// Unmounts and stores the upper dir as a layer on <paramref name="parent"/>; null when nothing changed. The layer tar
    /// goes to the content store (its digest is the diff ID) and the upper dir itself becomes the layer's snapshot: it is
    /// already in overlay form (whiteouts, opaque dirs), so the tar is not unpacked again.
    /// </summary>
    public async Task<LayerRecord?> CommitAsync(LayerRecord? parent, TarWriteOptions tarOptions, BuildLease lease, CancellationToken cancellationToken)
    {
        _mount.Dispose();
        Diagnostics.PhaseTimer.Mark("commit: unmounted");
        if (!HasChanges) return null;
        await using var blob = LayerBlobFile.Create(_store);
        var written = await LayerDiffer.WriteOverlayDiffAsync(UpperDirectory, _lowers, blob, tarOptions, cancellationToken).ConfigureAwait(false);
        Diagnostics.PhaseTimer.Mark("commit: layer tar written");
        blob.Complete();
        var diffId = written.DiffId;
        var chain = ChainId.Next(parent?.ChainId, diffId);
        long size = SnapshotStore.MeasureSize(UpperDirectory);
        string temporary = _store.Snapshots.PrepareTemporary();
        Directory.Delete(SnapshotStore.FsOf(temporary));
        Directory.Move(UpperDirectory, SnapshotStore.FsOf(temporary));
        bool ours;
        // Naming the blob and snapshot and pinning the chain happen under the reference lock: another build may have made the
        // same layer (same content in the same second), and a prune that frees that build's layer between our finding it there
        // and our pinning it would leave this build recording a layer whose files are gone.
        using (_store.ReferenceLock())
        {
            blob.Commit(diffId);
            ours = !_store.Snapshots.HasLayer(chain) && _store.Snapshots.CommitLayer(temporary, chain);
            lease.PinChainLocked(chain);
        }
        if (!ours) _store.Snapshots.Discard(temporary);
        Diagnostics.PhaseTimer.Mark("commit: layer tar stored");
        return new LayerRecord(chain, diffId, parent?.ChainId, size);
    }

    public void Dispose()
    {
        _mount.Dispose();
        _store.Snapshots.RemoveActive(_key);
    }
}
