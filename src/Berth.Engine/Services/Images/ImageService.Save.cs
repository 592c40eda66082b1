using System.Formats.Tar;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Berth.Engine.Content;
using Berth.Engine.Images;

namespace Berth.Engine.Services.Images;

public sealed partial class ImageService
{
    /// <summary>`save`: writes a docker-archive that is also an OCI image layout, as Docker 25+ does (Docker 20 loads it too).</summary>
    public async Task SaveAsync(IReadOnlyList<string> names, Stream output, CancellationToken cancellationToken = default)
    {
        var images = new List<(Digest Id, List<string> RepoTags)>();
        foreach (var text in ExpandRepositoryNames(names))
        {
            var id = Resolve(text);
            var entry = images.FirstOrDefault(i => i.Id == id);
            if (entry.RepoTags is null) { entry = (id, []); images.Add(entry); }
            var byName = ResolveByName(text) is not null ? ImageNameParser.Parse(text) : null;
            if (byName is { Digest: null }) entry.RepoTags.Add(byName.Familiar);
            else if (byName is null && IsFullIdOrPrefixOnly(text))
                entry.RepoTags.AddRange(store.Metadata.TagsOf(id).Select(ImageNameParser.Familiar).Where(t => !entry.RepoTags.Contains(t)));
        }

        await using var tar = new TarWriter(output, TarEntryFormat.Ustar, leaveOpen: true);
        var written = new HashSet<Digest>();
        var manifestEntries = new List<DockerArchiveManifestEntry>();
        var indexEntries = new List<Descriptor>();
        var repositories = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        await WriteDirectoryAsync(tar, "blobs/", cancellationToken).ConfigureAwait(false);
        await WriteDirectoryAsync(tar, "blobs/sha256/", cancellationToken).ConfigureAwait(false);
        foreach (var (id, repoTags) in images)
        {
            var layers = store.Metadata.ImageLayers(id);
            var layerDescriptors = new List<Descriptor>();
            foreach (var layer in layers)
            {
                if (written.Add(layer.DiffId))
                {
                    await using var blob = store.Content.OpenRead(layer.DiffId);
                    await WriteFileAsync(tar, BlobPath(layer.DiffId), blob, cancellationToken).ConfigureAwait(false);
                }
                layerDescriptors.Add(new Descriptor { MediaType = MediaTypes.OciLayer, Digest = layer.DiffId.ToString(), Size = store.Content.SizeOf(layer.DiffId) });
            }
            byte[] config = await store.Content.ReadAllBytesAsync(id, cancellationToken).ConfigureAwait(false);
            if (written.Add(id)) await WriteFileAsync(tar, BlobPath(id), new MemoryStream(config), cancellationToken).ConfigureAwait(false);
            var manifest = new Manifest
            {
                MediaType = MediaTypes.OciManifest,
                Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = id.ToString(), Size = config.Length },
                Layers = layerDescriptors,
            };
            byte[] manifestJson = ImageJson.Write(manifest, ImageJsonContext.Default.Manifest);
            var manifestDigest = Digest.Of(manifestJson);
            if (written.Add(manifestDigest)) await WriteFileAsync(tar, BlobPath(manifestDigest), new MemoryStream(manifestJson), cancellationToken).ConfigureAwait(false);
            manifestEntries.Add(new DockerArchiveManifestEntry { Config = BlobPath(id), RepoTags = repoTags.Count > 0 ? repoTags : null, Layers = layers.Select(l => BlobPath(l.DiffId)).ToList() });
            if (repoTags.Count == 0)
                indexEntries.Add(new Descriptor { MediaType = MediaTypes.OciManifest, Digest = manifestDigest.ToString(), Size = manifestJson.Length });
            foreach (var tag in repoTags)
            {
                var name = ImageNameParser.Parse(tag);
                indexEntries.Add(new Descriptor
                {
                    MediaType = MediaTypes.OciManifest, Digest = manifestDigest.ToString(), Size = manifestJson.Length,
                    Annotations = new Dictionary<string, string> { ["io.containerd.image.name"] = name.TagKey, ["org.opencontainers.image.ref.name"] = name.Tag! },
                });
                (repositories.TryGetValue(name.FamiliarRepository, out var r) ? r : repositories[name.FamiliarRepository] = new(StringComparer.Ordinal))[name.Tag!] = id.Hex;
            }
        }
        var index = new ImageIndex { MediaType = MediaTypes.OciIndex, Manifests = indexEntries };
        await WriteFileAsync(tar, "index.json", new MemoryStream(ImageJson.Write(index, ImageJsonContext.Default.ImageIndex)), cancellationToken).ConfigureAwait(false);
        byte[] manifestFile = ImageJson.Write<IReadOnlyList<DockerArchiveManifestEntry>>(manifestEntries, ImageJsonContext.Default.IReadOnlyListDockerArchiveManifestEntry);
        await WriteFileAsync(tar, "manifest.json", new MemoryStream(manifestFile), cancellationToken).ConfigureAwait(false);
        await WriteFileAsync(tar, "oci-layout", new MemoryStream(ImageJson.Write(new OciLayout(), ImageJsonContext.Default.OciLayout)), cancellationToken).ConfigureAwait(false);
        if (repositories.Count > 0)
        {
            var repoJson = new JsonObject();
            foreach (var (repo, tags) in repositories)
            {
                var t = new JsonObject();
                foreach (var (tag, hex) in tags) t[tag] = hex;
                repoJson[repo] = t;
            }
            await WriteFileAsync(tar, "repositories", new MemoryStream(Encoding.UTF8.GetBytes(repoJson.ToJsonString())), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A bare repository name (no tag, no digest) means every tag of that repository, as in Docker.</summary>
    IEnumerable<string> ExpandRepositoryNames(IReadOnlyList<string> names)
    {
        foreach (var text in names)
        {
            if (References.ReferenceParser.TryParseNormalizedNamed(text, out var reference) && reference is { IsNameOnly: true })
            {
                var tags = store.Metadata.ListImages().SelectMany(i => i.Tags)
                    .Where(t => t.StartsWith(reference.Name + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
                if (tags.Count > 0)
                {
                    foreach (var tag in tags) yield return tag;
                    continue;
                }
            }
            yield return text;
        }
    }

    bool IsFullIdOrPrefixOnly(string text) => ImageNameParser.LooksLikeIdPrefix(text);

    static string BlobPath(Digest digest) => "blobs/sha256/" + digest.Hex;

    static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    static Task WriteDirectoryAsync(TarWriter tar, string name, CancellationToken cancellationToken)
        => tar.WriteEntryAsync(new UstarTarEntry(TarEntryType.Directory, name) { ModificationTime = Epoch, Mode = (UnixFileMode)0x1ED }, cancellationToken);

    static async Task WriteFileAsync(TarWriter tar, string name, Stream content, CancellationToken cancellationToken)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            ModificationTime = Epoch,
            Mode = (UnixFileMode)0x1A4,
            DataStream = content,
        };
        await tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    internal static string SerializeCompact(JsonNode node) => node.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
