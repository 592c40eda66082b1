using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Layers;
using Berth.Engine.Metadata;
using Berth.Engine.Snapshots;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Images;

/// <summary>What `load` did: one line per image, as Docker prints them.</summary>
public sealed record LoadResult(IReadOnlyList<string> Lines);

public sealed partial class ImageService
{
    /// <summary>`load`: docker-archives (Docker 20 and 25+) and OCI image layout tars, optionally compressed.</summary>
    public async Task<LoadResult> LoadAsync(Stream input, string description, CancellationToken cancellationToken = default)
    {
        var (archive, _) = await LayerStreams.OpenDecompressedAsync(input, cancellationToken).ConfigureAwait(false);
        await using var archiveScope = archive;
        using var files = await ImageArchiveReader.ExtractAsync(archive, store.TempDirectory, description, cancellationToken).ConfigureAwait(false);
        var images = files.Exists("manifest.json")
            ? await ReadDockerArchiveAsync(files, description, cancellationToken).ConfigureAwait(false)
            : files.Exists("index.json")
                ? await ReadOciLayoutAsync(files, description, cancellationToken).ConfigureAwait(false)
                : throw new InvalidInputException($"{description}: neither manifest.json nor index.json found: not a docker-archive or OCI layout");
        if (images.Count == 0) throw new InvalidInputException($"{description}: the archive holds no image");

        var lines = new List<string>();
        var added = new List<LayerRecord>();
        var referencing = store.ReferenceLock();
        try
        {
            await AddImagesAsync(files, images, description, lines, added, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            referencing.Dispose();
            Layers.DiscardUnreferenced(added);
            throw;
        }
        referencing.Dispose();
        return new LoadResult(lines);
    }

    async Task AddImagesAsync(ImageArchiveReader files, List<ArchivedImage> images, string description, List<string> lines, List<LayerRecord> added, CancellationToken cancellationToken)
    {
        foreach (var image in images)
        {
            var config = ImageJson.ReadConfig(image.Config, $"{description}: config {image.ConfigPath}");
            if (config.RootFs.DiffIds.Count != image.Layers.Count)
                throw new InvalidInputException($"{description}: config {image.ConfigPath} lists {config.RootFs.DiffIds.Count} layers, the manifest {image.Layers.Count}");
            var records = new List<LayerRecord>();
            Digest? parent = null;
            for (int i = 0; i < image.Layers.Count; i++)
            {
                var diffId = Digest.Parse(config.RootFs.DiffIds[i]);
                var chain = ChainId.Next(parent, diffId);
                var existing = store.Metadata.GetLayer(chain);
                if (existing is not null && store.Snapshots.HasLayer(chain) && store.Content.Exists(diffId))
                    records.Add(existing);
                else
                {
                    var layer = image.Layers[i];
                    var source = new LayerSource($"{description}: layer {layer.Path}", ExpectedDiffId: diffId);
                    LayerRecord record;
                    if (store.Content.Exists(diffId))
                    {
                        // The blob is stored (another image of this archive moved it there, or an earlier image has it): only
                        // this chain's snapshot is missing.
                        await using var blob = store.Content.OpenRead(diffId);
                        record = await Layers.AddAsync(blob, parent, source, cancellationToken).ConfigureAwait(false);
                        added.Add(record);
                    }
                    else if (layer.Digest is not { } d || d == diffId)
                    {
                        // An uncompressed layer (Docker 25+ names it by its diff ID): verified once while it is unpacked,
                        // and the extracted file itself becomes the stored blob instead of being copied.
                        record = await Layers.AddFileAsync(files.Resolve(layer.Path, description), parent, source, cancellationToken).ConfigureAwait(false);
                        added.Add(record);
                    }
                    else
                    {
                        await using var stream = files.Open(layer.Path, description);
                        var verified = new VerifyingReadStream(stream, d, $"{description}: layer {layer.Path}");
                        record = await Layers.AddAsync(verified, parent, source, cancellationToken).ConfigureAwait(false);
                        added.Add(record); // before the check, so a mismatch discards what was stored
                        verified.Verify();
                    }
                    records.Add(record);
                }
                parent = chain;
            }
            var tags = image.Tags.Select(ImageNameParser.Parse).ToList();
            var previous = tags.Select(t => (t, store.Metadata.ResolveTag(t.TagKey))).ToList();
            var id = await CreateImageAsync(image.Config, records, null, tags, cancellationToken).ConfigureAwait(false);
            foreach (var (tag, old) in previous)
                if (old is { } o && o != id)
                    lines.Add($"The image {tag.Familiar} already exists, renaming the old one with ID {o} to empty string");
            if (tags.Count == 0) lines.Add($"Loaded image ID: {id}");
            foreach (var tag in tags) lines.Add($"Loaded image: {tag.Familiar}");
        }
    }

    sealed record ArchivedLayer(string Path, Digest? Digest);
    sealed record ArchivedImage(string ConfigPath, byte[] Config, IReadOnlyList<ArchivedLayer> Layers, IReadOnlyList<string> Tags);

    static async Task<List<ArchivedImage>> ReadDockerArchiveAsync(ImageArchiveReader files, string description, CancellationToken cancellationToken)
    {
        var json = await files.ReadAllBytesAsync("manifest.json", description, cancellationToken).ConfigureAwait(false);
        var entries = ImageJson.Deserialize(json, ImageJsonContext.Default.IReadOnlyListDockerArchiveManifestEntry, $"{description}: manifest.json");
        var images = new List<ArchivedImage>();
        foreach (var entry in entries)
        {
            byte[] config = await files.ReadAllBytesAsync(entry.Config, description, cancellationToken).ConfigureAwait(false);
            var layers = entry.Layers.Select(path =>
            {
                files.Resolve(path, description);
                return new ArchivedLayer(path, path.StartsWith("blobs/sha256/", StringComparison.Ordinal) && Digest.TryParse("sha256:" + path[13..], out var d) ? d : null);
            }).ToList();
            images.Add(new ArchivedImage(entry.Config, config, layers, entry.RepoTags ?? []));
        }
        return images;
    }

    async Task<List<ArchivedImage>> ReadOciLayoutAsync(ImageArchiveReader files, string description, CancellationToken cancellationToken)
    {
        var index = ImageJson.ReadIndex(await files.ReadAllBytesAsync("index.json", description, cancellationToken).ConfigureAwait(false), $"{description}: index.json");
        var images = new List<ArchivedImage>();
        await CollectAsync(index.Manifests, null).ConfigureAwait(false);
        return images;

        async Task CollectAsync(IReadOnlyList<Descriptor> descriptors, string? inheritedName)
        {
            var host = Platform.Host;
            foreach (var descriptor in descriptors)
            {
                string? name = RefName(descriptor) ?? inheritedName;
                var digest = Digest.TryParse(descriptor.Digest, out var d) ? d : throw new InvalidInputException($"{description}: invalid digest {descriptor.Digest} in index");
                string path = "blobs/" + digest.Algorithm + "/" + digest.Hex;
                byte[] blob = await ReadVerifiedAsync(path, digest).ConfigureAwait(false);
                string? mediaType = descriptor.MediaType ?? ImageJson.SniffMediaType(blob);
                if (MediaTypes.IsIndex(mediaType))
                {
                    var nested = ImageJson.ReadIndex(blob, $"{description}: index {digest}");
                    var forHost = nested.Manifests.Where(m => m.Platform is null || (m.Platform.Os == host.Os && m.Platform.Architecture == host.Architecture)).Take(1).ToList();
                    await CollectAsync(forHost.Count > 0 ? forHost : nested.Manifests.Take(1).ToList(), name).ConfigureAwait(false);
                    continue;
                }
                if (descriptor.Platform is { } p && (p.Os != host.Os || p.Architecture != host.Architecture) && descriptors.Count > 1) continue;
                var manifest = ImageJson.ReadManifest(blob, $"{description}: manifest {digest}");
                var configDigest = manifest.Config.ParsedDigest;
                byte[] config = await ReadVerifiedAsync("blobs/" + configDigest.Algorithm + "/" + configDigest.Hex, configDigest).ConfigureAwait(false);
                var layers = manifest.Layers.Select(l =>
                {
                    var ld = l.ParsedDigest;
                    string layerPath = "blobs/" + ld.Algorithm + "/" + ld.Hex;
                    files.Resolve(layerPath, description);
                    return new ArchivedLayer(layerPath, ld);
                }).ToList();
                images.Add(new ArchivedImage("blobs/" + configDigest.Algorithm + "/" + configDigest.Hex, config, layers, name is null ? [] : [name]));
            }
        }

        async Task<byte[]> ReadVerifiedAsync(string path, Digest digest)
        {
            byte[] bytes = await files.ReadAllBytesAsync(path, description, cancellationToken).ConfigureAwait(false);
            if (Digest.Of(bytes) != digest) throw new InvalidInputException($"{description}: {path} does not match its digest {digest}");
            return bytes;
        }
    }

    /// <summary>The image name an OCI layout gives a manifest: containerd's full name, or a ref.name that is a full reference.</summary>
    static string? RefName(Descriptor descriptor)
    {
        if (descriptor.Annotations is null) return null;
        if (descriptor.Annotations.TryGetValue("io.containerd.image.name", out var full) && ImageNameParser.TryParse(full, out _, out _)) return full;
        if (descriptor.Annotations.TryGetValue("org.opencontainers.image.ref.name", out var refName)
            && (refName.Contains(':') || refName.Contains('/')) && ImageNameParser.TryParse(refName, out _, out _)) return refName;
        return null;
    }
}
