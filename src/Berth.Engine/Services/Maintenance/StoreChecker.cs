using System.Security.Cryptography;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Services.Volumes;
using Berth.Engine.Snapshots;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Maintenance;

/// <summary>One thing `system check` found: what, about which object, whether --repair can fix it and whether it did.</summary>
public sealed record CheckFinding(string Kind, string Subject, string Problem, bool Repairable, bool Repaired = false)
{
    public override string ToString() => $"{Kind} {Subject}: {Problem}";
}

/// <summary>The result of `system check`: what was checked and found; <see cref="Consistent"/> when nothing is left wrong.</summary>
public sealed record CheckReport(
    int Images, int Layers, int Blobs, int References, int Volumes,
    IReadOnlyList<CheckFinding> Findings, IReadOnlyList<string> InProgress)
{
    public bool Consistent => Findings.All(f => f.Repaired);
    /// <summary>Problems that lose data or break an image: what a crash must never cause.</summary>
    public IReadOnlyList<CheckFinding> Damage => Findings.Where(f => !f.Repairable).ToList();
}

/// <summary>
/// `system check [--repair]`: every referenced blob exists and matches its digest, every layer's snapshot exists with
/// the recorded size, image configs match their layers, every tag and digest names an image, and nothing is left
/// over (unreferenced blobs, snapshots and layer rows, interrupted ingests and temp dirs, dead leases, stray links).
/// </summary>
/// <remarks>
/// Runs under the collector lock, so no import or load is between writing files and recording them. Ingest files,
/// temp dirs and unreferenced blobs younger than <c>minAge</c> may belong to a writer that takes no lock (a pull in
/// progress): they are listed as in progress, not touched. Repairs only delete what nothing references and fix
/// recorded sizes; missing or corrupt data is reported with what to do.
/// </remarks>
public sealed class StoreChecker(BerthStore store, VolumeService volumes)
{
    /// <summary>Blobs other features keep (manifests of pulled images, build cache): registered by their owners so repair keeps them.</summary>
    public List<Func<IEnumerable<Digest>>> BlobReferences { get; } = [];

    public static readonly TimeSpan DefaultMinAge = TimeSpan.FromMinutes(10);

    public async Task<CheckReport> CheckAsync(bool repair, TimeSpan? minAge = null, CancellationToken cancellationToken = default)
    {
        var age = minAge ?? DefaultMinAge;
        var findings = new List<CheckFinding>();
        var inProgress = new List<string>();
        using var collector = store.CollectorLock();
        var now = DateTime.UtcNow;

        // Dead leases (a killed build's): first, so that the layers only they pinned are found unreferenced below.
        foreach (var (lease, pid) in store.Metadata.AllLeases())
        {
            if (Directory.Exists($"/proc/{pid}")) continue;
            if (repair) store.Metadata.DeleteLease(lease);
            findings.Add(new("lease", lease, $"held by process {pid}, which is gone", true, repair));
        }

        var images = store.Metadata.ListImages();
        IReadOnlyList<LayerRecord> layers = store.Metadata.AllLayers();
        var layerByChain = layers.ToDictionary(l => l.ChainId);
        var imageLayers = store.Metadata.AllImageLayers().GroupBy(p => p.Image).ToDictionary(g => g.Key, g => g.Select(p => p.Chain).ToList());
        var references = store.Metadata.AllReferences();
        var verified = new Dictionary<Digest, bool>(); // blob → exists and matches

        async Task<string?> VerifyBlobAsync(Digest digest)
        {
            if (verified.TryGetValue(digest, out bool ok)) return ok ? null : "missing or corrupt";
            string? problem = null;
            if (!store.Content.Exists(digest)) problem = "missing";
            else
            {
                await using var stream = store.Content.OpenRead(digest);
                var actual = Digest.FromHash(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
                if (actual != digest) problem = $"corrupt: its content hashes to {actual}";
            }
            verified[digest] = problem is null;
            return problem;
        }

        // Layer rows nothing references (garbage of an interrupted delete): removed, not checked.
        var referencedByImages = imageLayers.Values.SelectMany(c => c).ToHashSet();
        var childParents = layers.Where(l => l.Parent is not null).Select(l => l.Parent!.Value).ToHashSet();
        var tops = layers.Where(l => !referencedByImages.Contains(l.ChainId) && !childParents.Contains(l.ChainId)).Select(l => l.ChainId).ToList();
        if (tops.Count > 0)
        {
            var unreferenced = repair
                ? store.Metadata.DeleteUnreferencedLayers(tops)
                : store.Metadata.Simulate((c, t) => store.Metadata.UnreferencedLayers(tops.Select(d => d.ToString()).ToList(), c, t));
            if (repair) new LayerStore(store).DeleteFiles(unreferenced);
            foreach (var layer in unreferenced)
                findings.Add(new("layer", layer.ChainId.ToString(), "recorded but used by no image, container or lease", true, repair));
            var garbage = unreferenced.Select(l => l.ChainId).ToHashSet();
            layers = layers.Where(l => !garbage.Contains(l.ChainId)).ToList();
            layerByChain = layers.ToDictionary(l => l.ChainId);
        }

        // Images: config blob, config ↔ layers.
        foreach (var image in images)
        {
            var id = image.Image.Id;
            if (await VerifyBlobAsync(id).ConfigureAwait(false) is { } problem)
            {
                findings.Add(new("image", id.ToString(), $"config blob {problem}; remove the image (rmi -f) and load or pull it again", false));
                continue;
            }
            var chains = imageLayers.GetValueOrDefault(id) ?? [];
            ImageConfig config;
            try { config = ImageJson.ReadConfig(await store.Content.ReadAllBytesAsync(id, cancellationToken).ConfigureAwait(false)); }
            catch (BerthException e) { findings.Add(new("image", id.ToString(), "config is not valid: " + e.Message, false)); continue; }
            var expected = ChainId.For(config.RootFs.DiffIds.Select(Digest.Parse));
            if (!expected.SequenceEqual(chains))
                findings.Add(new("image", id.ToString(), $"recorded layers ({chains.Count}) do not match the config's rootfs ({expected.Count})", false));
        }

        // Layers: tar blob, snapshot, size, chain.
        var damagedLayers = new HashSet<Digest>();
        foreach (var layer in layers)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (layer.Parent is { } parent && !layerByChain.ContainsKey(parent))
                findings.Add(new("layer", layer.ChainId.ToString(), $"parent layer {parent} is not recorded", false));
            if (ChainId.Next(layer.Parent, layer.DiffId) != layer.ChainId)
                findings.Add(new("layer", layer.ChainId.ToString(), "chain ID does not match its parent and diff ID", false));
            if (await VerifyBlobAsync(layer.DiffId).ConfigureAwait(false) is { } problem)
            {
                damagedLayers.Add(layer.ChainId);
                findings.Add(new("layer", layer.ChainId.ToString(), $"layer tar {layer.DiffId} {problem}; images with this layer cannot be saved or pushed", false));
            }
            string dir = store.Snapshots.LayerDirectory(layer.ChainId);
            if (!Directory.Exists(dir))
            {
                damagedLayers.Add(layer.ChainId);
                findings.Add(new("layer", layer.ChainId.ToString(), "snapshot directory is missing; images with this layer cannot run", false));
                continue;
            }
            long size = SnapshotStore.MeasureSize(dir);
            if (size != layer.Size)
            {
                if (repair) store.Metadata.SetLayerSize(layer.ChainId, size);
                findings.Add(new("layer", layer.ChainId.ToString(), $"recorded size {layer.Size} but the snapshot holds {size} bytes", true, repair));
            }
        }
        foreach (var (image, chains) in imageLayers)
            foreach (var chain in chains.Where(damagedLayers.Contains).Take(1))
                findings.Add(new("image", image.ToString(), $"incomplete: layer {chain} is damaged; remove the image and load or pull it again", false));

        // Tags and digests.
        var imageIds = images.Select(i => i.Image.Id.ToString()).ToHashSet();
        foreach (var (name, imageId, isDigest) in references)
        {
            if (imageIds.Contains(imageId)) continue;
            if (repair) store.Metadata.DeleteReference(name, isDigest);
            findings.Add(new(isDigest ? "digest" : "tag", name, $"points to {imageId}, which is not in the store", true, repair));
        }

        // Snapshots on disk without a layer row.
        var recorded = store.Metadata.AllLayers().Select(l => l.ChainId).ToHashSet(); // garbage rows left by a dry check still own their files
        foreach (var chain in store.Snapshots.ListLayers().Where(c => !recorded.Contains(c)).ToList())
        {
            if (repair) store.Snapshots.RemoveLayer(chain);
            findings.Add(new("snapshot", chain.ToString(), "unpacked layer that no layer row records", true, repair));
        }
        foreach (var link in Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "l")))
        {
            if (new FileInfo(link).LinkTarget is { } target && Directory.Exists(target)) continue;
            if (repair) File.Delete(link);
            findings.Add(new("link", Path.GetFileName(link), "short link to a snapshot that is gone", true, repair));
        }

        // Blobs nothing references.
        var referencedBlobs = images.Select(i => i.Image.Id).Concat(store.Metadata.AllLayers().Select(l => l.DiffId)).Concat(store.Metadata.AllLayerBlobDigests())
            .Concat(BlobReferences.SelectMany(f => f())).ToHashSet();
        foreach (var blob in store.Content.List().Where(b => !referencedBlobs.Contains(b)).ToList())
        {
            if (now - File.GetLastWriteTimeUtc(store.Content.PathOf(blob)) < age) { inProgress.Add($"blob {blob} (recent, not yet referenced)"); continue; }
            if (repair) store.Content.Delete(blob);
            findings.Add(new("blob", blob.ToString(), "referenced by nothing", true, repair));
        }

        // Leftovers of interrupted work.
        foreach (var file in Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "ingest")))
            Leftover(file, "interrupted blob write");
        foreach (var dir in Directory.EnumerateFileSystemEntries(store.TempDirectory))
            Leftover(dir, "interrupted unpack or archive extraction");
        foreach (var dir in Directory.EnumerateFileSystemEntries(Path.Combine(store.Root, "trash")))
            Leftover(dir, "interrupted delete", ignoreAge: true);

        // Volumes.
        foreach (var volume in volumes.List().Where(v => !Directory.Exists(v.Mountpoint)))
            findings.Add(new("volume", volume.Name, "data directory is missing; remove the volume (volume rm) and create it again", false));
        foreach (var name in volumes.OrphanDirectories())
        {
            string data = volumes.MountpointOf(name);
            bool empty = !Directory.Exists(data) || !Directory.EnumerateFileSystemEntries(data).Any();
            if (!empty) { findings.Add(new("volume", name, $"directory {Path.Combine(store.VolumesDirectory, name)} holds data but no volume records it; not removed", false)); continue; }
            bool repaired = repair && volumes.RemoveOrphanDirectory(name);
            findings.Add(new("volume", name, "empty directory that no volume records (interrupted create)", true, repaired));
        }

        return new CheckReport(images.Count, layers.Count, store.Content.List().Count(), references.Count, volumes.List().Count, findings, inProgress);

        void Leftover(string path, string what, bool ignoreAge = false)
        {
            if (!ignoreAge && now - NewestWrite(path) < age) { inProgress.Add($"{Path.GetRelativePath(store.Root, path)} (recent)"); return; }
            if (repair)
            {
                if (Directory.Exists(path)) SnapshotStore.DeleteTree(path); else File.Delete(path);
            }
            findings.Add(new("leftover", Path.GetRelativePath(store.Root, path), what, true, repair));
        }
    }

    /// <summary>The latest write time in a file or tree (a long unpack touches files deep inside, not the top directory).</summary>
    static DateTime NewestWrite(string path)
    {
        var newest = File.GetLastWriteTimeUtc(path);
        if (!Directory.Exists(path)) return newest;
        int seen = 0;
        foreach (var entry in FileEnumeration.Tree(path, ignoreInaccessible: true))
        {
            if (entry.LastWriteTimeUtc > newest) newest = entry.LastWriteTimeUtc;
            if (++seen > 100_000) break;
        }
        return newest;
    }
}
