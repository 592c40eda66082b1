using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Metadata;
using Berth.Engine.Registry;
using Berth.Engine.Services.Images;
using Berth.Tests.Support;

namespace Berth.Tests.RegistryService;

/// <summary>A layer made by a test: its uncompressed tar (diff ID) and the compressed blob a registry holds.</summary>
public sealed record TestLayer(byte[] Tar, byte[] Blob, string MediaType)
{
    public Digest DiffId => Digest.Of(Tar);
    public Digest BlobDigest => Digest.Of(Blob);
    public Descriptor Descriptor => new() { MediaType = MediaType, Digest = BlobDigest.ToString(), Size = Blob.Length };
}

/// <summary>Builds layers, images and indexes for registry service tests, locally and straight into a registry.</summary>
public static class RegistryTestImages
{
    /// <summary>A layer with the given files (path → content), gzip- or zstd-compressed.</summary>
    public static TestLayer Layer(IReadOnlyDictionary<string, byte[]> files, string compression = "gzip")
    {
        using var tarBytes = new MemoryStream();
        using (var tar = new TarWriter(tarBytes, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path)
                {
                    DataStream = new MemoryStream(content), Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
                    ModificationTime = DateTimeOffset.UnixEpoch,
                };
                tar.WriteEntry(entry);
            }
        }
        byte[] raw = tarBytes.ToArray();
        using var compressed = new MemoryStream();
        if (compression == "zstd")
        {
            using (var z = new ZstdSharp.CompressionStream(compressed, 3, leaveOpen: true)) z.Write(raw);
            return new TestLayer(raw, compressed.ToArray(), MediaTypes.OciLayerZstd);
        }
        using (var gz = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return new TestLayer(raw, compressed.ToArray(), MediaTypes.OciLayerGzip);
    }

    /// <summary>A layer of one file with <paramref name="size"/> random (incompressible) bytes.</summary>
    public static TestLayer RandomLayer(string path, int size, string compression = "gzip")
        => Layer(new Dictionary<string, byte[]> { [path] = RandomNumberGenerator.GetBytes(size) }, compression);

    public static byte[] Config(IReadOnlyList<TestLayer> layers, string architecture = "amd64", string? variant = null)
    {
        string diffIds = string.Join(",", layers.Select(l => $"\"{l.DiffId}\""));
        string variantJson = variant is null ? "" : $",\"variant\":\"{variant}\"";
        return Encoding.UTF8.GetBytes($$"""{"architecture":"{{architecture}}"{{variantJson}},"os":"linux","created":"2024-01-02T03:04:05Z","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[{{diffIds}}]},"history":[{"created":"2024-01-02T03:04:05Z","comment":"{{Guid.NewGuid()}}"}]}""");
    }

    /// <summary>Uploads the layers and config and puts an OCI manifest under <paramref name="tagOrDigest"/>; returns the manifest's descriptor.</summary>
    public static async Task<Descriptor> PushImageAsync(RegistryClient client, string repository, string? tag, IReadOnlyList<TestLayer> layers, byte[] config, Platform? platform = null)
    {
        foreach (var layer in layers)
            await client.UploadBlobAsync(repository, layer.BlobDigest, layer.Blob.Length, () => new MemoryStream(layer.Blob));
        await client.UploadBlobAsync(repository, Digest.Of(config), config.Length, () => new MemoryStream(config));
        var manifest = new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Of(config).ToString(), Size = config.Length },
            Layers = layers.Select(l => l.Descriptor).ToList(),
        };
        byte[] bytes = ImageJson.Write(manifest, ImageJsonContext.Default.Manifest);
        await client.PutManifestAsync(repository, tag ?? Digest.Of(bytes).ToString(), bytes, MediaTypes.OciManifest);
        return new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(bytes).ToString(), Size = bytes.Length, Platform = platform };
    }

    /// <summary>Writes an OCI image layout with one image tagged <paramref name="tag"/>; returns the manifest digest.</summary>
    public static Digest WriteOciLayout(string directory, string tag, IReadOnlyList<TestLayer> layers, byte[] config)
    {
        string blobs = Path.Combine(directory, "blobs", "sha256");
        Directory.CreateDirectory(blobs);
        foreach (var layer in layers) File.WriteAllBytes(Path.Combine(blobs, layer.BlobDigest.Hex), layer.Blob);
        File.WriteAllBytes(Path.Combine(blobs, Digest.Of(config).Hex), config);
        var manifest = new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Of(config).ToString(), Size = config.Length },
            Layers = layers.Select(l => l.Descriptor).ToList(),
        };
        byte[] bytes = ImageJson.Write(manifest, ImageJsonContext.Default.Manifest);
        File.WriteAllBytes(Path.Combine(blobs, Digest.Of(bytes).Hex), bytes);
        var index = new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = [new Descriptor { MediaType = MediaTypes.OciManifest, Digest = Digest.Of(bytes).ToString(), Size = bytes.Length,
                Annotations = new Dictionary<string, string> { ["org.opencontainers.image.ref.name"] = tag } }],
        };
        File.WriteAllBytes(Path.Combine(directory, "index.json"), ImageJson.Write(index, ImageJsonContext.Default.ImageIndex));
        File.WriteAllText(Path.Combine(directory, "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        return Digest.Of(bytes);
    }

    /// <summary>Imports the busybox root file system as <paramref name="tag"/>.</summary>
    public static async Task<Digest> ImportBusyboxAsync(TempStore store, string tag)
    {
        await using var tar = File.OpenRead(BusyboxRootfs.TarPath);
        return await store.Engine.Images.ImportAsync(tar, new ImportOptions("busybox.tar", [], null, null, tag));
    }

    /// <summary>A local image: <paramref name="baseImage"/>'s layers plus one layer with <paramref name="files"/>, tagged <paramref name="tag"/>.</summary>
    public static async Task<Digest> AddLayerImageAsync(TempStore store, Digest baseImage, IReadOnlyDictionary<string, byte[]> files, string tag)
    {
        var images = store.Engine.Images;
        var baseLayers = store.Engine.Store.Metadata.ImageLayers(baseImage);
        var layer = Layer(files);
        using (store.Engine.Store.ReferenceLock())
        {
            var record = await images.Layers.AddAsync(new MemoryStream(layer.Tar), baseLayers[^1].ChainId, new Berth.Engine.Store.LayerSource("test layer"), CancellationToken.None);
            List<LayerRecord> all = [.. baseLayers, record];
            var baseConfig = await images.ReadConfigAsync(baseImage);
            var config = baseConfig with
            {
                RootFs = new RootFs { DiffIds = all.Select(l => l.DiffId.ToString()).ToList() },
                History = [.. baseConfig.History ?? [], new HistoryEntry { Created = "2024-01-02T03:04:05Z", CreatedBy = "test layer " + Guid.NewGuid() }],
            };
            return await images.CreateImageAsync(ImageJson.Write(config, ImageJsonContext.Default.ImageConfig), all, baseImage, [ImageNameParser.Parse(tag)], CancellationToken.None);
        }
    }
}
