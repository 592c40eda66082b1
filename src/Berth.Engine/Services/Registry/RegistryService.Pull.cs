using System.Runtime.ExceptionServices;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.References;
using Berth.Engine.Registry;
using Berth.Engine.Services.Images;
using Berth.Engine.Snapshots;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Registry;

/// <summary>One image a pull produced: the reference it was pulled by, the image ID and the manifest (or index) digest recorded as RepoDigest.</summary>
public sealed record PulledImage(Reference Reference, Digest ImageId, Digest ManifestDigest, bool Downloaded);

/// <summary>What `pull` did. <see cref="Reference"/> is the canonical name Docker prints last (<c>docker.io/library/busybox:latest</c>).</summary>
public sealed record PullResult(Reference Reference, IReadOnlyList<PulledImage> Images)
{
    /// <summary>True when a tag now points at an image it did not before (Docker: "Downloaded newer image").</summary>
    public bool Downloaded => Images.Any(i => i.Downloaded);

    /// <summary>Docker's summary line: <c>Status: Downloaded newer image for busybox:latest</c> or <c>Status: Image is up to date for …</c>.</summary>
    public string StatusLine => (Downloaded ? "Status: Downloaded newer image for " : "Status: Image is up to date for ") + Reference.FamiliarString;
}

public sealed partial class RegistryService
{
    /// <summary>
    /// `pull`: resolves the reference (an index to the manifest for <paramref name="platform"/>, the host platform by default),
    /// downloads the missing layers in parallel into the content store's ingest, verifies them, unpacks them in order,
    /// records the image, its RepoDigest and where its blobs came from, and tags it.
    /// </summary>
    /// <param name="allTags">Pull every tag of the repository (the reference must not carry a tag).</param>
    /// <param name="progress">Per-layer events in Docker's vocabulary; called from several threads.</param>
    public async Task<PullResult> PullAsync(string reference, Platform? platform = null, bool allTags = false,
        IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var named = ReferenceParser.ParseNormalizedNamed(reference);
        platform ??= _options.ResolveDefaultPlatform();
        if (allTags && (named.Tag is not null || named.Digest is not null))
            throw new InvalidInputException("tag can't be used with --all-tags/-a");
        using var client = CreateClient(named.Domain);
        var references = new List<Reference>();
        if (allTags)
        {
            var tags = await client.ListTagsAsync(named.Path, cancellationToken).ConfigureAwait(false);
            if (tags.Count == 0) throw new NotFoundException($"repository {named.Familiar} has no tags on {client.Host}");
            references.AddRange(tags.Order(StringComparer.Ordinal).Select(t => named.WithTag(t)));
        }
        else
        {
            references.Add(named.ToDockerRef());
        }
        var pulled = new List<PulledImage>();
        foreach (var one in references)
            pulled.Add(await PullOneAsync(client, one, platform, progress, cancellationToken).ConfigureAwait(false));
        return new PullResult(allTags ? named : references[0], pulled);
    }

    sealed record LayerPlan(int Index, Descriptor Blob, Digest DiffId, Digest ChainId, LayerRecord? Existing);

    async Task<PulledImage> PullOneAsync(RegistryClient client, Reference reference, Platform? platform, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        string repository = reference.Path;
        string tagOrDigest = reference.Digest?.ToString() ?? reference.Tag!;
        var top = await client.GetManifestAsync(repository, tagOrDigest, ct: cancellationToken).ConfigureAwait(false);
        // Docker says "Pulling from" once the manifest is there, so a missing tag prints only the error.
        progress?.Report(new TransferProgress(tagOrDigest, TransferPhase.PullingFrom, Detail: repository));
        var wanted = platform ?? Platform.Host;
        var manifestBlob = top;
        if (MediaTypes.IsIndex(top.MediaType))
        {
            var index = ImageJson.ReadIndex(top.Content, $"image index {reference}");
            var entry = PlatformSelector.Select(index, wanted);
            manifestBlob = await client.GetManifestAsync(repository, entry.Digest, ct: cancellationToken).ConfigureAwait(false);
        }
        if (!MediaTypes.IsManifest(manifestBlob.MediaType))
            throw new RegistryException($"unsupported manifest media type {manifestBlob.MediaType} for {reference.FamiliarString}", host: client.Host);
        var manifest = ImageJson.ReadManifest(manifestBlob.Content, $"manifest of {reference.FamiliarString}");

        var configDigest = manifest.Config.ParsedDigest;
        byte[] configBytes = store.Content.Exists(configDigest)
            ? await store.Content.ReadAllBytesAsync(configDigest, cancellationToken).ConfigureAwait(false)
            : await DownloadConfigAsync(client, repository, manifest.Config, cancellationToken).ConfigureAwait(false);
        var config = ImageJson.ReadConfig(configBytes, $"image config {configDigest}");
        if (config.RootFs.DiffIds.Count != manifest.Layers.Count)
            throw new InvalidInputException($"image {reference.FamiliarString}: its config lists {config.RootFs.DiffIds.Count} layers, its manifest {manifest.Layers.Count}");
        if (platform is not null && !MediaTypes.IsIndex(top.MediaType))
        {
            var have = PlatformSelector.Normalise(new Platform { Os = config.Os, Architecture = config.Architecture, Variant = config.Variant });
            var want = PlatformSelector.Normalise(platform);
            if (have.Os != want.Os || have.Architecture != want.Architecture)
                throw new InvalidInputException($"image with reference {reference.FamiliarString} was found but does not match the specified platform: wanted {platform}, actual: {config.Os}/{config.Architecture}");
        }

        var plan = new List<LayerPlan>();
        Digest? parent = null;
        for (int i = 0; i < manifest.Layers.Count; i++)
        {
            var blob = manifest.Layers[i];
            if (!MediaTypes.IsLayer(blob.MediaType) || blob.MediaType.Contains("foreign", StringComparison.Ordinal) || blob.MediaType.Contains("nondistributable", StringComparison.Ordinal))
                throw new RegistryException($"unsupported layer media type {blob.MediaType} in {reference.FamiliarString}", host: client.Host);
            var diffId = Digest.Parse(config.RootFs.DiffIds[i]);
            var chain = ChainId.Next(parent, diffId);
            var existing = store.Metadata.GetLayer(chain);
            if (existing is not null && !(store.Snapshots.HasLayer(chain) && store.Content.Exists(diffId))) existing = null;
            plan.Add(new LayerPlan(i, blob, diffId, chain, existing));
            parent = chain;
        }

        var tag = reference.Digest is null ? ImageNameParser.Parse(reference.ToString()) : null;
        var previous = tag is null ? null : store.Metadata.ResolveTag(tag.TagKey);
        bool hadImage = store.Metadata.GetImage(configDigest) is not null;
        var id = hadImage && plan.All(p => p.Existing is not null)
            ? await RecordPulledImageAsync(client, reference, top.Digest, configBytes, plan, plan.Select(p => p.Existing!).ToList(), tag, cancellationToken).ConfigureAwait(false)
            : await FetchLayersAsync(client, reference, top.Digest, configBytes, plan, tag, progress, cancellationToken).ConfigureAwait(false);

        progress?.Report(new TransferProgress(tagOrDigest, TransferPhase.Digest, Detail: top.Digest.ToString()));
        bool downloaded = tag is null ? !hadImage : previous != id;
        return new PulledImage(reference, id, top.Digest, downloaded);
    }

    async Task<byte[]> DownloadConfigAsync(RegistryClient client, string repository, Descriptor blob, CancellationToken cancellationToken)
    {
        if (blob.Size is < 0 or > 64 * 1024 * 1024)
            throw new RegistryException($"image config {blob.Digest} has an unreasonable size {blob.Size}", host: client.Host);
        using var memory = new MemoryStream();
        await client.DownloadBlobAsync(repository, blob, memory, null, cancellationToken).ConfigureAwait(false);
        return memory.ToArray();
    }

    async Task<Digest> FetchLayersAsync(RegistryClient client, Reference reference, Digest manifestDigest, byte[] configBytes, List<LayerPlan> plan,
        ImageName? tag, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var downloader = new ResumableBlobDownload(store);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentDownloads));
        // The first layer of each blob streams it from the registry; a later layer made of the same blob waits for it and reads the file it left.
        var first = new Dictionary<Digest, LayerPlan>();
        foreach (var layer in plan)
        {
            var digest = layer.Blob.ParsedDigest;
            if (layer.Existing is not null)
                progress?.Report(new TransferProgress(digest.Short, TransferPhase.AlreadyExists));
            else if (first.TryAdd(digest, layer))
                progress?.Report(new TransferProgress(digest.Short, TransferPhase.PullingFsLayer)); // every "Pulling fs layer" line comes before any "Waiting"
        }

        var added = new List<LayerRecord>();
        var partials = new HashSet<string>();
        var referencing = store.ReferenceLock();
        var pulls = new Dictionary<int, Task<LayerRecord>>();
        try
        {
            foreach (var layer in plan)
            {
                var task = layer.Existing is { } existing ? Task.FromResult(existing) : PullLayerAsync(layer);
                _ = task.ContinueWith(_ => linked.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                pulls[layer.Index] = task;
            }

            // Download → digest → decompress → untar in one pass per layer: each layer unpacks into a directory of its own
            // (its chain ID is known from the config) while it arrives, and is committed only after the whole blob was read
            // and its digest and diff ID checked.
            async Task<LayerRecord> PullLayerAsync(LayerPlan layer)
            {
                var digest = layer.Blob.ParsedDigest;
                string id = digest.Short;
                var owner = first[digest];
                if (owner != layer)
                {
                    try { await pulls[owner.Index].ConfigureAwait(false); }
                    catch (Exception) { throw new OperationCanceledException(linked.Token); } // the owner reports the failure
                }
                if (!await gate.WaitAsync(0, linked.Token).ConfigureAwait(false))
                {
                    if (owner == layer) progress?.Report(new TransferProgress(id, TransferPhase.Waiting));
                    await gate.WaitAsync(linked.Token).ConfigureAwait(false);
                }
                try
                {
                    var bytes = progress is null || owner != layer ? null : new InlineProgress<long>(n => progress.Report(new TransferProgress(id, TransferPhase.Downloading, n, layer.Blob.Size)));
                    var parent = layer.Index == 0 ? (Digest?)null : plan[layer.Index - 1].ChainId;
                    var source = new LayerSource($"layer {digest} of {reference.FamiliarString}", ExpectedDiffId: layer.DiffId);
                    for (int attempt = 1; ; attempt++)
                    {
                        var blob = downloader.Open(client, reference.Path, layer.Blob, bytes, linked.Token);
                        try
                        {
                            if (blob.PartialPath is { } path) lock (partials) partials.Add(path);
                            LayerRecord record;
                            try
                            {
                                record = await images.Layers.AddAsync(new BufferedStream(blob, 1 << 18), parent, source, linked.Token).ConfigureAwait(false);
                            }
                            catch (Exception e) when (e is not (OperationCanceledException or RegistryException) && !blob.Verified)
                            {
                                // A layer that fails to unpack before its blob was checked may just be a corrupt download: say so if it is.
                                await blob.DrainAsync(linked.Token).ConfigureAwait(false);
                                throw;
                            }
                            lock (added) added.Add(record);
                            if (owner == layer)
                            {
                                if (blob.Downloaded) progress?.Report(new TransferProgress(id, TransferPhase.VerifyingChecksum));
                                progress?.Report(new TransferProgress(id, TransferPhase.DownloadComplete));
                            }
                            progress?.Report(new TransferProgress(id, TransferPhase.Extracting, layer.Blob.Size, layer.Blob.Size));
                            progress?.Report(new TransferProgress(id, TransferPhase.PullComplete));
                            return record;
                        }
                        catch (RegistryException e) when (ResumableBlobDownload.IsVerificationFailure(e))
                        {
                            blob.DiscardPartial(); // never resume from bytes known to be wrong
                            // What an earlier run left was not the start of this blob after all: start over once.
                            if (!blob.Resumed || attempt > 1) throw;
                        }
                        finally
                        {
                            blob.Release();
                        }
                    }
                }
                finally
                {
                    gate.Release();
                }
            }

            var records = new List<LayerRecord>();
            foreach (var layer in plan) records.Add(await pulls[layer.Index].ConfigureAwait(false));
            var imageId = await RecordPulledImageAsync(client, reference, manifestDigest, configBytes, plan, records, tag, cancellationToken).ConfigureAwait(false);
            referencing.Dispose();
            DeletePartials(partials);
            return imageId;
        }
        catch (Exception failure)
        {
            await linked.CancelAsync().ConfigureAwait(false);
            try { await Task.WhenAll(pulls.Values).ConfigureAwait(false); } catch (Exception) { /* the first failure is reported below */ }
            referencing.Dispose();
            images.Layers.DiscardUnreferenced(added);
            // A cancelled pull keeps its downloads (complete and partial) so that running it again resumes; a failed one leaves nothing.
            if (!cancellationToken.IsCancellationRequested) DeletePartials(partials);
            var root = failure is OperationCanceledException && !cancellationToken.IsCancellationRequested
                ? pulls.Values.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).FirstOrDefault(e => e is not OperationCanceledException)
                : null;
            if (root is not null) ExceptionDispatchInfo.Throw(root);
            throw;
        }
        finally
        {
            referencing.Dispose();
        }
    }

    static void DeletePartials(IEnumerable<string> paths)
    {
        foreach (string path in paths) ResumableBlobDownload.Delete(path);
    }

    /// <summary>Records image, tag, RepoDigest, each layer's compressed blob and where it came from, in one go.</summary>
    async Task<Digest> RecordPulledImageAsync(RegistryClient client, Reference reference, Digest manifestDigest, byte[] configBytes, List<LayerPlan> plan,
        IReadOnlyList<LayerRecord> records, ImageName? tag, CancellationToken cancellationToken)
    {
        var known = Digest.Of(configBytes);
        // An image already stored only gains a tag (writing its config again would leave a stray ingest file).
        var id = store.Metadata.GetImage(known) is not null
            ? known
            : await images.CreateImageAsync(configBytes, records, null, tag is null ? [] : [tag], cancellationToken).ConfigureAwait(false);
        store.Metadata.Write((c, t) =>
        {
            if (tag is not null) store.Metadata.SetTag(tag.TagKey, id, c, t);
            store.Metadata.AddRepoDigest(reference.Name, manifestDigest, id, c, t);
            foreach (var layer in plan)
            {
                var blob = layer.Blob.ParsedDigest;
                store.Metadata.AddLayerBlob(new LayerBlobRecord(layer.DiffId, blob, layer.Blob.MediaType, layer.Blob.Size), c, t);
                store.Metadata.AddBlobSource(new BlobSourceRecord(blob, client.Host, reference.Path), c, t);
            }
        });
        return id;
    }
}
