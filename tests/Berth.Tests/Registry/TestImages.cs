using System.Security.Cryptography;
using System.Text;
using Berth.Engine.Content;
using Berth.Engine.Images;
using Berth.Engine.Registry;

namespace Berth.Tests.Registry;

/// <summary>Small made-up images for registry tests: random layer bytes, a config and an OCI manifest.</summary>
public sealed record TestImage(byte[] Config, byte[] Layer, byte[] ManifestBytes)
{
    public Digest ConfigDigest => Digest.Of(Config);
    public Digest LayerDigest => Digest.Of(Layer);
    public Digest ManifestDigest => Digest.Of(ManifestBytes);

    public Descriptor LayerDescriptor => new() { MediaType = MediaTypes.OciLayerGzip, Digest = LayerDigest.ToString(), Size = Layer.Length };

    public static TestImage Create(int layerSize = 4096)
    {
        byte[] layer = RandomNumberGenerator.GetBytes(layerSize);
        byte[] config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{{Digest.Of(layer)}}"]},"comment":"{{Guid.NewGuid()}}"}""");
        var manifest = new Manifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = new Descriptor { MediaType = MediaTypes.OciConfig, Digest = Digest.Of(config).ToString(), Size = config.Length },
            Layers = [new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest.Of(layer).ToString(), Size = layer.Length }],
        };
        return new TestImage(config, layer, ImageJson.Write(manifest, ImageJsonContext.Default.Manifest));
    }

    public async Task PushAsync(RegistryClient client, string repo, string tag)
    {
        await client.UploadBlobAsync(repo, LayerDigest, Layer.Length, () => new MemoryStream(Layer));
        await client.UploadBlobAsync(repo, ConfigDigest, Config.Length, () => new MemoryStream(Config));
        await client.PutManifestAsync(repo, tag, ManifestBytes, MediaTypes.OciManifest);
    }
}
