using System.Text.Json.Nodes;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Store;

namespace Berth.Engine.Services.Images;

/// <summary>Image verbs over the store: resolve, create, list, tag, remove, history, inspect.</summary>
public sealed partial class ImageService(BerthStore store)
{
    public BerthStore Store => store;
    internal LayerStore Layers { get; } = new(store);

    /// <summary>Finds the image a user means: a name (tag or digest) first, then a full or short image ID, as Docker does.</summary>
    public Digest Resolve(string nameOrId) => TryResolve(nameOrId) ?? throw new NotFoundException($"No such image: {nameOrId}");

    public Digest? TryResolve(string nameOrId)
    {
        if (nameOrId.StartsWith("sha256:", StringComparison.Ordinal) && Digest.TryParse(nameOrId, out var full))
            return store.Metadata.GetImage(full) is not null ? full : ResolveIdPrefix(full.Hex, nameOrId);
        if (ResolveByName(nameOrId) is { } byName) return byName;
        if (ImageNameParser.LooksLikeIdPrefix(nameOrId))
            return ResolveIdPrefix(nameOrId.StartsWith("sha256:", StringComparison.Ordinal) ? nameOrId[7..] : nameOrId, nameOrId);
        return null;
    }

    /// <summary>The image a tag or digest name points at, or null (also for text that is not a valid name).</summary>
    public Digest? ResolveByName(string text)
    {
        if (!ImageNameParser.TryParse(text, out var name, out _) || name is null) return null;
        return name.Digest is { } d ? store.Metadata.ResolveRepoDigest(name.Repository, d) : store.Metadata.ResolveTag(name.TagKey);
    }

    public async Task<ImageConfig> ReadConfigAsync(Digest imageId, CancellationToken cancellationToken = default)
        => ImageJson.ReadConfig(await store.Content.ReadAllBytesAsync(imageId, cancellationToken).ConfigureAwait(false), $"config of image {imageId.Short}");

    /// <summary>Stores a config and records the image over already-stored layers, then tags it; returns the image ID.</summary>
    public async Task<Digest> CreateImageAsync(byte[] configJson, IReadOnlyList<LayerRecord> layers, Digest? parent, IEnumerable<ImageName> tags, CancellationToken cancellationToken)
    {
        var config = ImageJson.ReadConfig(configJson);
        if (config.RootFs.DiffIds.Count != layers.Count || !config.RootFs.DiffIds.SequenceEqual(layers.Select(l => l.DiffId.ToString())))
            throw new InvalidInputException("image config rootfs.diff_ids does not match the image's layers");
        var id = await store.Content.WriteAsync(configJson, null, cancellationToken).ConfigureAwait(false);
        using (store.ReferenceLock())
        {
            foreach (var layer in layers)
                if (!store.Snapshots.HasLayer(layer.ChainId) || !store.Content.Exists(layer.DiffId))
                    throw new InvalidInputException($"layer {layer.DiffId} is not in the store");
            store.Metadata.Write((c, t) =>
            {
                store.Metadata.AddImage(new ImageRecord(id, config.Created, parent, DateTimeOffset.UtcNow), layers, c, t);
                foreach (var tag in tags) store.Metadata.SetTag(tag.TagKey, id, c, t);
            });
        }
        return id;
    }

    public IReadOnlyList<ImageListRow> ListAll() => store.Metadata.ListImages();

    /// <summary>`tag SOURCE TARGET`.</summary>
    public void Tag(string source, string target)
    {
        var name = ImageNameParser.Parse(target);
        if (name.Digest is not null) throw new InvalidInputException($"refusing to create a tag with a digest reference: {target}");
        // Resolved under the reference lock: no rmi or prune can delete the image between resolving and tagging it.
        using (store.ReferenceLock())
            store.Metadata.SetTag(name.TagKey, Resolve(source));
    }

    public async Task<IReadOnlyList<HistoryRow>> HistoryAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var id = Resolve(nameOrId);
        var config = await ReadConfigAsync(id, cancellationToken).ConfigureAwait(false);
        var layers = store.Metadata.ImageLayers(id);
        var rows = new List<HistoryRow>();
        int layerIndex = 0;
        var history = config.History ?? [];
        foreach (var entry in history)
        {
            long size = 0;
            if (!entry.IsEmptyLayer && layerIndex < layers.Count) size = layers[layerIndex++].Size;
            rows.Add(new HistoryRow(null, ImageJson.ParseTime(entry.Created), entry.CreatedBy ?? "", size, entry.Comment ?? "", []));
        }
        rows.Reverse();
        // Docker shows the image ID on the newest row and the IDs of local parent images on their rows; others are <missing>.
        var current = (Digest?)id;
        int row = 0;
        while (current is { } c && row < rows.Count)
        {
            var record = store.Metadata.GetImage(c);
            rows[row] = rows[row] with { Image = c, Tags = store.Metadata.TagsOf(c).Select(ImageNameParser.Familiar).ToList() };
            if (record?.Parent is not { } parent) break;
            var parentConfig = await ReadConfigAsync(parent, cancellationToken).ConfigureAwait(false);
            row = rows.Count - (parentConfig.History?.Count ?? 0);
            current = parent;
        }
        // A Berth build's steps are intermediate images (see ImageService.Intermediate): their rows show the IDs the build
        // printed, as `docker history` does after a legacy build.
        foreach (var (stepId, stepConfig) in store.Metadata.BuildCacheAncestry(id))
        {
            int count = ImageJson.ReadConfig(stepConfig, $"cached build step {stepId.Short}").History?.Count ?? 0;
            int at = rows.Count - count;
            if (at >= 0 && at < rows.Count && rows[at].Image is null)
                rows[at] = rows[at] with { Image = stepId, Tags = store.Metadata.TagsOf(stepId).Select(ImageNameParser.Familiar).ToList() };
        }
        return rows;
    }

    /// <summary>Docker-compatible `image inspect` JSON.</summary>
    public async Task<JsonObject> InspectAsync(string nameOrId, CancellationToken cancellationToken = default)
    {
        var id = Resolve(nameOrId);
        var record = store.Metadata.GetImage(id)!;
        var config = await ReadConfigAsync(id, cancellationToken).ConfigureAwait(false);
        var layers = store.Metadata.ImageLayers(id);
        long size = layers.Sum(l => l.Size);
        var lowers = store.Snapshots.LowerDirectories(layers.Select(l => l.ChainId).ToList());
        var graph = new JsonObject();
        if (lowers.Count > 0)
        {
            graph["MergedDir"] = null;
            if (layers.Count > 1) graph["LowerDir"] = string.Join(':', layers.Take(layers.Count - 1).Reverse().Select(l => store.Snapshots.LayerDirectory(l.ChainId)));
            graph["UpperDir"] = store.Snapshots.LayerDirectory(layers[^1].ChainId);
            graph["WorkDir"] = null;
        }
        var result = new JsonObject
        {
            ["Id"] = id.ToString(),
            ["RepoTags"] = new JsonArray(store.Metadata.TagsOf(id).Select(t => (JsonNode?)JsonValue.Create(ImageNameParser.Familiar(t))).ToArray()),
            ["RepoDigests"] = new JsonArray(store.Metadata.RepoDigestsOf(id).Select(d => (JsonNode?)JsonValue.Create(FamiliarDigestName(d))).ToArray()),
            ["Parent"] = record.Parent?.ToString() ?? "",
            ["Comment"] = config.Comment ?? "",
            ["Created"] = config.Created ?? "",
            ["Container"] = config.Container ?? "",
            ["ContainerConfig"] = ToNode(config.ContainerConfig ?? new ContainerConfig()),
            ["DockerVersion"] = config.DockerVersion ?? "",
            ["Author"] = config.Author ?? "",
            ["Config"] = ToNode(config.Config ?? new ContainerConfig()),
            ["Architecture"] = config.Architecture,
        };
        if (config.Variant is not null) result["Variant"] = config.Variant;
        result["Os"] = config.Os;
        result["Size"] = size;
        result["VirtualSize"] = size;
        result["GraphDriver"] = new JsonObject { ["Data"] = graph, ["Name"] = "overlay2" };
        result["RootFS"] = new JsonObject
        {
            ["Type"] = config.RootFs.Type,
            ["Layers"] = new JsonArray(config.RootFs.DiffIds.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
        };
        result["Metadata"] = new JsonObject { ["LastTagTime"] = ImageJson.FormatTime(record.Added) };
        return result;
    }

    static JsonNode? ToNode(ContainerConfig config) => JsonNode.Parse(ImageJson.Write(config, ImageJsonContext.Default.ContainerConfig));

    static string FamiliarDigestName(string repositoryAtDigest)
    {
        int at = repositoryAtDigest.IndexOf('@');
        return ImageNameParser.TryParse(repositoryAtDigest, out var n, out _) && n is not null ? n.FamiliarRepository + repositoryAtDigest[at..] : repositoryAtDigest;
    }
}

/// <summary>One row of `history`, newest first; <see cref="Image"/> is null where Docker prints &lt;missing&gt;.</summary>
public sealed record HistoryRow(Digest? Image, DateTimeOffset? Created, string CreatedBy, long Size, string Comment, IReadOnlyList<string> Tags);
