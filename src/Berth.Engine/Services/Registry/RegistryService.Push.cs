using System.IO.Compression;
using System.Security.Cryptography;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.References;
using Berth.Engine.Registry;

namespace Berth.Engine.Services.Registry;

/// <summary>One tag a push uploaded: Docker's line <c>latest: digest: sha256:… size: 527</c>.</summary>
public sealed record PushedTag(Reference Reference, Digest ImageId, Digest ManifestDigest, long Size)
{
    public string Line => $"{Reference.Tag}: digest: {ManifestDigest} size: {Size}";
}

/// <summary>What `push` did: the repository (as Docker's "The push refers to repository [...]" names it) and each tag pushed.</summary>
public sealed record PushResult(Reference Repository, IReadOnlyList<PushedTag> Tags);

public sealed partial class RegistryService
{
    /// <summary>The references `push` will upload for <paramref name="reference"/>: its tag (<c>latest</c> if none) or, with <paramref name="allTags"/>, every local tag of the repository.</summary>
    public IReadOnlyList<Reference> PushTargets(string reference, bool allTags)
    {
        var named = ReferenceParser.ParseNormalizedNamed(reference);
        if (named.Digest is not null) throw new InvalidInputException("cannot push a digest reference");
        if (allTags && named.Tag is not null) throw new InvalidInputException("tag can't be used with --all-tags/-a");
        if (!allTags) return [named.WithDefaultTag()];
        var tags = store.Metadata.TagsOfRepository(named.Name);
        if (tags.Count == 0) throw new NotFoundException($"An image does not exist locally with the tag: {named.Familiar}");
        return tags.Select(t => named.WithTag(t[(named.Name.Length + 1)..])).ToList();
    }

    /// <summary>
    /// `push`: uploads each layer (a compressed form already known to the registry is skipped or mounted from another
    /// repository of the same registry; otherwise the layer is gzip-compressed), the config, then the manifest by tag,
    /// and records the RepoDigest.
    /// </summary>
    public async Task<PushResult> PushAsync(string reference, bool allTags = false, IProgress<TransferProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var targets = PushTargets(reference, allTags);
        var repository = targets[0].WithoutTagOrDigest();
        using var client = CreateClient(repository.Domain);
        var pushed = new List<PushedTag>();
        foreach (var target in targets)
            pushed.Add(await PushOneAsync(client, target, progress, cancellationToken).ConfigureAwait(false));
        return new PushResult(repository, pushed);
    }

    async Task<PushedTag> PushOneAsync(RegistryClient client, Reference target, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var id = store.Metadata.ResolveTag(target.ToString())
            ?? throw new NotFoundException($"An image does not exist locally with the tag: {target.Familiar}");
        string repository = target.Path;
        byte[] configBytes = await store.Content.ReadAllBytesAsync(id, cancellationToken).ConfigureAwait(false);
        var layers = store.Metadata.ImageLayers(id);
        for (int i = layers.Count - 1; i >= 0; i--)
            progress?.Report(new TransferProgress(layers[i].DiffId.Short, TransferPhase.Preparing));

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var gate = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentUploads));
        var uploads = new Dictionary<Digest, Task<Descriptor>>();
        for (int i = layers.Count - 1; i >= 0; i--)
        {
            if (uploads.ContainsKey(layers[i].DiffId)) continue;
            var task = PushLayerAsync(client, repository, layers[i], gate, progress, linked.Token);
            _ = task.ContinueWith(_ => linked.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            uploads[layers[i].DiffId] = task;
        }
        try
        {
            await Task.WhenAll(uploads.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested
            && uploads.Values.FirstOrDefault(t => t.IsFaulted && t.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failed.Exception!.InnerException!);
        }
        var layerDescriptors = layers.Select(l => uploads[l.DiffId].Result).ToList();

        if (!await client.BlobExistsAsync(repository, id, cancellationToken).ConfigureAwait(false))
            await client.UploadBlobAsync(repository, id, configBytes.Length, () => new MemoryStream(configBytes, writable: false), null, cancellationToken).ConfigureAwait(false);

        var manifest = new Manifest
        {
            MediaType = MediaTypes.DockerManifest,
            Config = new Descriptor { MediaType = MediaTypes.DockerConfig, Digest = id.ToString(), Size = configBytes.Length },
            Layers = layerDescriptors,
        };
        byte[] manifestBytes = ImageJson.Write(manifest, ImageJsonContext.Default.Manifest);
        var digest = await client.PutManifestAsync(repository, target.Tag!, manifestBytes, MediaTypes.DockerManifest, cancellationToken).ConfigureAwait(false);
        store.Metadata.AddRepoDigest(target.Name, digest, id);
        progress?.Report(new TransferProgress(target.Tag!, TransferPhase.TagPushed, manifestBytes.Length, Detail: digest.ToString()));
        return new PushedTag(target, id, digest, manifestBytes.Length);
    }

    static bool IsGzipLayer(string mediaType) => mediaType is MediaTypes.DockerLayerGzip or MediaTypes.OciLayerGzip;

    static Descriptor GzipLayer(Digest digest, long size) => new() { MediaType = MediaTypes.DockerLayerGzip, Digest = digest.ToString(), Size = size };

    async Task<Descriptor> PushLayerAsync(RegistryClient client, string repository, LayerRecord layer, SemaphoreSlim gate,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        string id = layer.DiffId.Short;
        if (!await gate.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            progress?.Report(new TransferProgress(id, TransferPhase.Waiting));
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        try
        {
            foreach (var known in store.Metadata.LayerBlobs(layer.DiffId).Where(b => IsGzipLayer(b.MediaType)))
            {
                if (await client.BlobExistsAsync(repository, known.Digest, cancellationToken).ConfigureAwait(false))
                {
                    RecordPushedBlob(client, repository, known);
                    progress?.Report(new TransferProgress(id, TransferPhase.LayerAlreadyExists));
                    return GzipLayer(known.Digest, known.Size);
                }
                foreach (var source in store.Metadata.BlobSources(known.Digest).Where(s => s.Registry == client.Host && s.Repository != repository))
                {
                    bool mounted;
                    try { mounted = await client.MountBlobAsync(repository, known.Digest, source.Repository, cancellationToken).ConfigureAwait(false); }
                    catch (RegistryException) { mounted = false; } // no access to the source repository: upload instead
                    if (!mounted) continue;
                    RecordPushedBlob(client, repository, known);
                    progress?.Report(new TransferProgress(id, TransferPhase.MountedFrom, Detail: source.Repository));
                    return GzipLayer(known.Digest, known.Size);
                }
                if (store.Content.Exists(known.Digest))
                {
                    var bytes = progress is null ? null : new InlineProgress<long>(n => progress.Report(new TransferProgress(id, TransferPhase.Pushing, n, known.Size)));
                    await client.UploadBlobAsync(repository, known.Digest, known.Size, () => store.Content.OpenRead(known.Digest), bytes, cancellationToken).ConfigureAwait(false);
                    RecordPushedBlob(client, repository, known);
                    progress?.Report(new TransferProgress(id, TransferPhase.Pushed));
                    return GzipLayer(known.Digest, known.Size);
                }
            }

            // Compressed while it goes out: no staging file, and the digest comes from the bytes sent.
            long total = store.Content.SizeOf(layer.DiffId);
            Action<long> reading = n => progress?.Report(new TransferProgress(id, TransferPhase.Pushing, n, total));
            (Digest Digest, long Size) sent;
            try
            {
                sent = await client.UploadStreamedBlobAsync(repository, (destination, ct) => CompressAsync(layer.DiffId, destination, reading, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (RegistryException e) when (e.StatusCode is System.Net.HttpStatusCode.MethodNotAllowed or System.Net.HttpStatusCode.NotImplemented)
            {
                sent = await UploadStagedAsync(client, repository, layer.DiffId, reading, cancellationToken).ConfigureAwait(false);
            }
            var blob = new LayerBlobRecord(layer.DiffId, sent.Digest, MediaTypes.DockerLayerGzip, sent.Size);
            RecordPushedBlob(client, repository, blob);
            progress?.Report(new TransferProgress(id, TransferPhase.Pushed));
            return GzipLayer(sent.Digest, sent.Size);
        }
        finally
        {
            gate.Release();
        }
    }

    void RecordPushedBlob(RegistryClient client, string repository, LayerBlobRecord blob) => store.Metadata.Write((c, t) =>
    {
        store.Metadata.AddLayerBlob(blob, c, t);
        store.Metadata.AddBlobSource(new BlobSourceRecord(blob.Digest, client.Host, repository), c, t);
    });

    /// <summary>Gzips a stored layer tar into <paramref name="destination"/> (see <see cref="LayerGzipStream"/>).</summary>
    async Task CompressAsync(Digest diffId, Stream destination, Action<long> progress, CancellationToken cancellationToken)
    {
        await using var source = new ProgressReadStream(store.Content.OpenRead(diffId), progress);
        await using var gzip = new LayerGzipStream(destination);
        await source.CopyToAsync(gzip, 1 << 20, cancellationToken).ConfigureAwait(false);
        await gzip.FinishAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>For a registry that takes no PATCH: compresses into a file first to learn the digest, then uploads that (one PUT).</summary>
    async Task<(Digest Digest, long Size)> UploadStagedAsync(RegistryClient client, string repository, Digest diffId, Action<long> progress, CancellationToken cancellationToken)
    {
        string temp = Path.Combine(store.TempDirectory, "push-" + Guid.NewGuid().ToString("N") + ".tar.gz");
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var hashing = new HashingWriteStream(file, hash);
                await CompressAsync(diffId, hashing, progress, cancellationToken).ConfigureAwait(false);
                size = hashing.Written;
            }
            var digest = Digest.FromHash(hash.GetHashAndReset());
            if (!await client.BlobExistsAsync(repository, digest, cancellationToken).ConfigureAwait(false))
                await client.UploadBlobAsync(repository, digest, size, () => File.OpenRead(temp), null, cancellationToken).ConfigureAwait(false);
            return (digest, size);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
